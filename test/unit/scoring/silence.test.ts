import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, mergeConfig, type CadenceState, type EngineConfig } from '../../../src/engine/index.ts';
import type { SilenceSource } from '../../../src/scoring/cadences.ts';
import { replayingGateways, silenceDecisions, silenceLimits } from '../../../src/scoring/connectivity.ts';
import type { LastReading } from '../../../src/store/devices.ts';

// The service's connectivity check: each device held to its own silence limit.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 2, 1, 3);
const WEEKLY: CadenceState = { gaps: Array.from({ length: 8 }, () => 7 * DAY) };

/** A device's newest reading, received as it was taken (a live gateway) unless `receivedAt` says otherwise. */
const row = (device_id: number, silentHours: number, site_id = 1, gateway_id = 1, receivedAt?: number): LastReading => ({
  device_id, site_id, seq: 100 + device_id, at: new Date(NOW - silentHours * HOUR), metric: 1, value: 1,
  gateway_id, received_at: new Date(receivedAt ?? NOW - silentHours * HOUR), recent: false,
});

function source(cadences: Record<number, CadenceState>, configs: Record<number, EngineConfig> = {}) {
  const asked: number[][] = [];
  const s: SilenceSource = {
    configOf: (id) => configs[id] ?? DEFAULT_CONFIG,
    cadences: async (rows) => {
      asked.push(rows.map((r) => r.device_id));
      return new Map(rows.map((r) => [r.device_id, cadences[r.device_id]]));
    },
  };
  return { s, asked };
}

async function check(rows: LastReading[], src: SilenceSource) {
  const replaying = replayingGateways(rows, DEFAULT_CONFIG, NOW);
  return silenceDecisions(rows, DEFAULT_CONFIG, await silenceLimits(rows, src, replaying), replaying);
}

describe('silence decisions with per-device cadences', () => {
  it('alerts for a daily device at 48 h while a weekly one of the site stays quiet at 4 days', async () => {
    const { s, asked } = source({ 2: WEEKLY });
    const out = await check([row(1, 49), row(2, 96), row(3, 0)], s);
    expect(out.map((d) => d.deviceId)).toEqual([1]);
    // Only devices past their floor need a cadence.
    expect(asked).toEqual([[1, 2]]);
    // The daily device's alert reads as it always did.
    expect(out[0]!.decision.summary).toBe('No reading for 49 h while 2 other devices of the site reported');
    expect(Object.keys(out[0]!.decision.evidence)).toEqual(['silentHours', 'lastSeenAt', 'siteDevicesReporting']);
  });

  it('alerts for the weekly device after two weeks, saying its cadence', async () => {
    const { s } = source({ 2: WEEKLY });
    const out = await check([row(2, 14 * 24), row(3, 0)], s);
    expect(out).toHaveLength(1);
    expect(out[0]!.decision).toMatchObject({
      kind: 'connectivity_loss', priority: 'low', action: 'open', score: 1,
      summary: 'No reading for 336 h while 1 other device of the site reported; it transmits about every 7 days (learnt)',
      evidence: { silentHours: 336, siteDevicesReporting: 1, expectedHours: 168, cadence: 'learnt' },
    });
    expect((await check([row(2, 14 * 24 - 1), row(3, 0)], s))).toEqual([]);
  });

  it('follows each device\'s own settings: a configured cadence and a site\'s floor', async () => {
    const monthly = mergeConfig(DEFAULT_CONFIG, { connectivity: { expectedHours: 720 }, priorities: { connectivity_loss: 'medium' } });
    const slowSite = mergeConfig(DEFAULT_CONFIG, { connectivity: { silentHours: 72 } });
    const { s } = source({}, { 1: monthly, 2: slowSite });
    expect(await check([row(1, 30 * 24), row(2, 50), row(3, 0)], s)).toEqual([]);
    const out = await check([row(1, 60 * 24), row(2, 72), row(3, 0)], s);
    expect(out.map((d) => [d.deviceId, d.decision.priority, d.decision.evidence.cadence ?? null])).toEqual([
      [1, 'medium', 'configured'], [2, 'low', null],
    ]);
  });

  it('leaves a device whose readings are still arriving alone, and asks no cadence for it', async () => {
    const { s, asked } = source({});
    expect(await check([{ ...row(1, 60), recent: true }, row(3, 0)], s)).toEqual([]);
    expect(asked).toEqual([]);
  });
});

describe('gateways replaying history', () => {
  it('are those whose latest delivery was already 48 h old when it arrived, however fast they send', () => {
    const rows = [
      // A relay uploading last year: its newest delivery is a year old on arrival.
      row(1, 365 * 24, 1, 7, NOW), row(2, 365 * 24 + 5, 1, 7, NOW - 1000),
      // A live one, and a live one that stopped two days ago: arrival close to the readings.
      row(3, 0, 1, 8), row(4, 50, 1, 9),
      // Its latest delivery mixes a backlog with a current reading: current.
      row(5, 200, 1, 10, NOW - HOUR), row(6, 1, 1, 10, NOW - HOUR),
    ];
    expect([...replayingGateways(rows, DEFAULT_CONFIG, NOW)]).toEqual(['7']);
    // Once it delivers current readings, it is live again.
    expect([...replayingGateways([...rows, row(9, 0, 1, 7, NOW + 1)], DEFAULT_CONFIG, NOW)]).toEqual([]);
    // Quiet for 48 h in the middle of its history, it is judged again.
    expect([...replayingGateways(rows, DEFAULT_CONFIG, NOW + 48 * HOUR)]).toEqual([]);
  });

  it('raise no alert while they replay, and their devices are judged once they deliver current readings', async () => {
    const { s } = source({});
    // Relay 7 replays last year: device 2 is a week behind device 1 in that history.
    const replay = [row(1, 365 * 24, 1, 7, NOW), row(2, 365 * 24 + 7 * 24, 1, 7, NOW - 1000), row(3, 0, 1, 8)];
    expect(await check(replay, s)).toEqual([]);
    // The relay is live: device 2 never came back in its stream.
    const live = [row(1, 1, 1, 7), row(2, 365 * 24 + 7 * 24, 1, 7, NOW - 2 * HOUR), row(3, 0, 1, 8)];
    expect((await check(live, s)).map((d) => [d.deviceId, d.decision.evidence.silentHours])).toEqual([[2, 365 * 24 + 7 * 24 - 1]]);
  });
});
