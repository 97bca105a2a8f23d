import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, mergeConfig, type EngineConfig } from '../../../src/engine/config.ts';
import { applyLifecycle } from '../../../src/engine/lifecycle.ts';
import { processReading } from '../../../src/engine/process.ts';
import { newDeviceState } from '../../../src/engine/state.ts';
import type { DeviceState, SilenceEpisode } from '../../../src/engine/types.ts';

// A past silence: the gap between two consecutive readings of a device, at least its silence
// limit (the floor, or twice its expected interval), reported with the reading that ends it.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2025, 0, 1, 2);

function feeder(config: EngineConfig = DEFAULT_CONFIG) {
  const state: DeviceState = newDeviceState();
  let seq = 0;
  const silences: SilenceEpisode[] = [];
  return {
    state,
    silences,
    upload(at: number): void {
      for (const [i, metric] of ['activity', 'night_heart_rate'].entries()) {
        const out = processReading(state, { seq: ++seq, at: at + i * 60_000, metric, value: 60 + i }, config);
        if (out.silence) silences.push(out.silence);
      }
    },
  };
}

describe('past silences', () => {
  it('reports a gap of at least 48 h once, with the readings around it, and nothing shorter', () => {
    const d = feeder();
    for (const day of [0, 1, 2, 4, 5, 9, 10]) d.upload(T0 + day * DAY);
    // 2 → 4 is 48 h less a minute (the upload's second reading): under the floor. 5 → 9 is one.
    expect(d.silences).toEqual([{ fromAt: T0 + 5 * DAY + 60_000, fromSeq: 10, toAt: T0 + 9 * DAY, toSeq: 11, limitHours: 48 }]);
  });

  it('holds a weekly transmitter to twice its learnt interval, and to the floor until it is learnt', () => {
    const d = feeder();
    for (let w = 0; w < 6; w++) d.upload(T0 + w * 7 * DAY);
    // As the live check: the first four intervals, before the cadence is learnt, are past the floor.
    expect(d.silences.map((s) => s.limitHours)).toEqual([48, 48, 48, 48]);
    d.silences.length = 0;
    // Thirteen days: one upload missed, inside two weeks.
    d.upload(T0 + 5 * 7 * DAY + 13 * DAY);
    expect(d.silences).toEqual([]);
    d.upload(T0 + 5 * 7 * DAY + 13 * DAY + 15 * DAY);
    expect(d.silences.map((s) => s.limitHours)).toEqual([336]);
  });

  it('holds a configured weekly device to two weeks from its first upload', () => {
    const d = feeder(mergeConfig(DEFAULT_CONFIG, { connectivity: { expectedHours: 168 } }));
    for (let w = 0; w < 4; w++) d.upload(T0 + w * 7 * DAY);
    d.upload(T0 + 3 * 7 * DAY + 14 * DAY + HOUR);
    expect(d.silences.map((s) => s.limitHours)).toEqual([336]);
  });

  it('follows the configured floor', () => {
    const d = feeder(mergeConfig(DEFAULT_CONFIG, { connectivity: { silentHours: 72 } }));
    for (const day of [0, 3, 6.5]) d.upload(T0 + day * DAY);
    expect(d.silences.map((s) => s.limitHours)).toEqual([72]);
  });

  it('reports nothing for a late or repeated reading, or after the explant', () => {
    const d = feeder();
    d.upload(T0);
    d.upload(T0 + 3 * DAY);
    expect(d.silences).toHaveLength(1);
    expect(processReading(d.state, { seq: 99, at: T0 + DAY, metric: 'activity', value: 1 }, DEFAULT_CONFIG).silence).toBeNull();
    applyLifecycle(d.state, { id: 1, kind: 'explant', at: T0 + 4 * DAY }, DEFAULT_CONFIG);
    expect(processReading(d.state, { seq: 100, at: T0 + 9 * DAY, metric: 'activity', value: 1 }, DEFAULT_CONFIG).silence).toBeNull();
  });
});
