import { describe, expect, it } from 'vitest';
import { readCadence, silenceLimit, typicalIntervalHours } from '../../../src/engine/cadence.ts';
import { DEFAULT_CONFIG, mergeConfig, type EngineConfig } from '../../../src/engine/config.ts';
import { connectivityCheck } from '../../../src/engine/connectivity.ts';
import { overrideProblems } from '../../../src/engine/override.ts';
import { processReading } from '../../../src/engine/process.ts';
import { newDeviceState } from '../../../src/engine/state.ts';
import type { DeviceState } from '../../../src/engine/types.ts';

// connectivity_loss's per-device silence limit: learnt from the intervals between a device's
// transmissions, or configured, never under the 48 h floor.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2025, 0, 1, 2);

/** A device fed uploads: each upload is a few readings within minutes at the given event time. */
class Transmitter {
  state: DeviceState = newDeviceState();
  private seq = 0;
  constructor(readonly config: EngineConfig = DEFAULT_CONFIG) {}
  upload(at: number): void {
    for (const [i, metric] of ['activity', 'night_heart_rate', 'battery_longevity'].entries()) {
      processReading(this.state, { seq: ++this.seq, at: at + i * 60_000, metric, value: 60 + i }, this.config);
    }
  }
  /** The newest reading's event time. */
  get lastAt(): number {
    return this.state.lastAt!;
  }
  limitHours(): number {
    return silenceLimit(this.state.cadence, this.config).hours;
  }
}

/** Small deterministic jitter, ±`hours`. */
const jitter = (i: number, hours: number) => Math.round(Math.sin(i * 12.9898) * hours * HOUR);

/** Silent devices among `device` and a neighbour that reported at `siteTime`. */
function silentAt(device: Transmitter, siteTime: number): string[] {
  const seen = new Map([['x', device.lastAt], ['neighbour', siteTime]]);
  return connectivityCheck(seen, siteTime, device.config, new Map([['x', device.limitHours()]])).map((s) => s.device);
}

describe('expected cadence', () => {
  it('keeps a daily transmitter at 48 h, as before, nightly drift and an event upload notwithstanding', () => {
    const d = new Transmitter();
    for (let n = 0; n < 30; n++) d.upload(T0 + n * DAY + jitter(n, 1));
    // An event transmission 3 h after a nightly one belongs to no new interval.
    d.upload(d.lastAt + 3 * HOUR);
    expect(typicalIntervalHours(d.state.cadence, d.config.connectivity)).toBe(24);
    expect(silenceLimit(d.state.cadence, d.config)).toEqual({ hours: 48, expectedHours: null, source: 'floor' });
    expect(silentAt(d, d.lastAt + 47.9 * HOUR)).toEqual([]);
    expect(silentAt(d, d.lastAt + 48 * HOUR)).toEqual(['x']);
  });

  it('counts one interval per upload: the readings of one transmission are one', () => {
    const d = new Transmitter();
    for (let n = 0; n < 3; n++) d.upload(T0 + n * 7 * DAY);
    expect(d.state.cadence?.gaps).toEqual([7 * DAY - 2 * 60_000, 7 * DAY - 2 * 60_000]);
  });

  it('holds a new device to the floor until it has enough intervals, then learns a weekly cadence', () => {
    const d = new Transmitter();
    for (let n = 0; n < 4; n++) d.upload(T0 + n * 7 * DAY);
    // Three intervals: not enough, a new weekly transmitter alerts at 48 h as today.
    expect(d.limitHours()).toBe(48);
    expect(silentAt(d, d.lastAt + 3 * DAY)).toEqual(['x']);
    d.upload(T0 + 4 * 7 * DAY);
    expect(silenceLimit(d.state.cadence, d.config)).toEqual({ hours: 336, expectedHours: 168, source: 'learnt' });
    expect(silentAt(d, d.lastAt + 3 * DAY)).toEqual([]);
    expect(silentAt(d, d.lastAt + 13 * DAY)).toEqual([]);
    expect(silentAt(d, d.lastAt + 14 * DAY)).toEqual(['x']);
  });

  it('learns a weekly cadence through jitter and a missed transmission', () => {
    const d = new Transmitter();
    let at = T0;
    for (let n = 1; n <= 12; n++) {
      // Week 6 is missed: a 14-day interval among 7-day ones.
      if (n !== 6) d.upload(at + jitter(n, 10));
      at += 7 * DAY;
    }
    expect(d.state.cadence?.gaps).toHaveLength(10);
    expect(d.state.cadence?.gaps.some((g) => g > 13 * DAY)).toBe(true);
    expect(d.limitHours()).toBe(336);
    expect(silentAt(d, d.lastAt + 3 * DAY)).toEqual([]);
    expect(silentAt(d, d.lastAt + 15 * DAY)).toEqual(['x']);
  });

  it('lets the newest intervals decide when a device changes schedule', () => {
    const d = new Transmitter();
    let at = T0;
    for (let n = 0; n < 12; n++) d.upload((at += 7 * DAY));
    for (let n = 0; n < 6; n++) d.upload((at += DAY));
    // 6 daily intervals of the last 10: daily again.
    expect(d.limitHours()).toBe(48);
  });

  it('uses a configured monthly cadence from the first day, and over a learnt one', () => {
    const monthly = mergeConfig(DEFAULT_CONFIG, { connectivity: { expectedHours: 720 } });
    const fresh = new Transmitter(monthly);
    fresh.upload(T0);
    expect(silenceLimit(fresh.state.cadence, monthly)).toEqual({ hours: 1440, expectedHours: 720, source: 'configured' });
    expect(silentAt(fresh, fresh.lastAt + 31 * DAY)).toEqual([]);
    expect(silentAt(fresh, fresh.lastAt + 60 * DAY)).toEqual(['x']);
    const daily = new Transmitter(monthly);
    for (let n = 0; n < 20; n++) daily.upload(T0 + n * DAY);
    expect(daily.limitHours()).toBe(1440);
    // A configured cadence shorter than the floor leaves the floor.
    expect(silenceLimit(undefined, mergeConfig(DEFAULT_CONFIG, { connectivity: { expectedHours: 24 } })).hours).toBe(48);
  });

  it('caps a learnt cadence at 45 days', () => {
    const d = new Transmitter();
    for (let n = 0; n < 6; n++) d.upload(T0 + n * 90 * DAY);
    expect(silenceLimit(d.state.cadence, d.config)).toMatchObject({ hours: 2 * 45 * 24, expectedHours: 45 * 24 });
  });

  it('loads a state saved before the cadence existed, and learns from its next readings', () => {
    const d = new Transmitter();
    for (let n = 0; n < 3; n++) d.upload(T0 + n * 7 * DAY);
    const old = JSON.parse(JSON.stringify(d.state)) as DeviceState & { cadence?: unknown };
    delete old.cadence;
    expect(silenceLimit(old.cadence as never, DEFAULT_CONFIG).hours).toBe(48);
    expect(readCadence(undefined)).toBeUndefined();
    expect(readCadence({ gaps: ['x'] })).toBeUndefined();
    expect(readCadence({ gaps: [DAY] })).toEqual({ gaps: [DAY] });
    d.state = old;
    for (let n = 3; n < 8; n++) d.upload(T0 + n * 7 * DAY);
    expect(d.state.cadence?.gaps).toHaveLength(5);
    expect(d.limitHours()).toBe(336);
  });

  it('is the same across a snapshot round trip (replayable)', () => {
    const a = new Transmitter();
    const b = new Transmitter();
    for (let n = 0; n < 9; n++) {
      a.upload(T0 + n * 3 * DAY);
      b.upload(T0 + n * 3 * DAY);
      if (n === 4) b.state = JSON.parse(JSON.stringify(b.state)) as DeviceState;
    }
    expect(b.state.cadence).toEqual(a.state.cadence);
    expect(a.limitHours()).toBe(144);
  });
});

describe('cadence settings', () => {
  it('are bounded: a daily to 45-day schedule, or 0 to learn it', () => {
    expect(overrideProblems({ connectivity: { expectedHours: 0 } })).toEqual([]);
    expect(overrideProblems({ connectivity: { expectedHours: 168 } })).toEqual([]);
    expect(overrideProblems({ connectivity: { expectedHours: 24 * 45 } })).toEqual([]);
    expect(overrideProblems({ connectivity: { expectedHours: 12, cadenceFactor: 5 } })).toEqual([
      expect.stringMatching(/^connectivity\.expectedHours must be at least 24 \(or 0\)/),
      expect.stringMatching(/^connectivity\.cadenceFactor must be at most 3/),
    ]);
    expect(overrideProblems({ connectivity: { expectedHours: 24 * 46 } })).toEqual([
      expect.stringMatching(/^connectivity\.expectedHours must be at most 1080/),
    ]);
  });

  it('merge patient over site', () => {
    const c = mergeConfig(DEFAULT_CONFIG, { connectivity: { expectedHours: 168 } }, { connectivity: { expectedHours: 720 } });
    expect(c.connectivity).toMatchObject({ silentHours: 48, expectedHours: 720 });
  });
});
