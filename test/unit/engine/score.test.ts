import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../src/engine/config.ts';
import { processReading } from '../../../src/engine/process.ts';
import { newDeviceState } from '../../../src/engine/state.ts';
import { DAY, Device, T0, wobble } from './stream.ts';

function scoreOf(device: Device, day: number, metric: string, value: number): number {
  return processReading(device.state, { seq: ++device.seq, at: T0 + day * DAY, metric, value }, DEFAULT_CONFIG).score;
}

describe('reading score', () => {
  it('uses the typical range of the vocabulary before a baseline exists', () => {
    const d = new Device();
    expect(scoreOf(d, 0, 'night_heart_rate', 65)).toBe(0);
    // typical 50-80: 15 beyond the range is one half-width, the extreme.
    expect(scoreOf(d, 1, 'night_heart_rate', 87.5)).toBeCloseTo(0.5);
    expect(scoreOf(d, 2, 'night_heart_rate', 120)).toBe(1);
  });

  it('scores against the device own baseline once learned', () => {
    const d = new Device();
    d.nights(0, 40, { night_heart_rate: (day) => 90 + wobble(day, 2) });
    // 90/min is above the typical range, yet it is this patient's normal.
    expect(scoreOf(d, 40, 'night_heart_rate', 90)).toBe(0);
    expect(scoreOf(d, 41, 'night_heart_rate', 110)).toBe(1);
    const mid = scoreOf(d, 42, 'night_heart_rate', 94);
    expect(mid).toBeGreaterThan(0);
    expect(mid).toBeLessThan(1);
  });

  it('scores any ventricular episode as extreme however often they came', () => {
    const d = new Device();
    for (let day = 0; day < 40; day++) scoreOf(d, day, 'vt_episodes', 1);
    expect(scoreOf(d, 41, 'vt_episodes', 0)).toBe(0);
    expect(scoreOf(d, 42, 'vt_episodes', 1)).toBe(1);
  });

  it('ignores a duplicate or late seq and an unknown metric', () => {
    const s = newDeviceState();
    processReading(s, { seq: 5, at: T0, metric: 'activity', value: 200 }, DEFAULT_CONFIG);
    const dup = processReading(s, { seq: 5, at: T0, metric: 'vt_episodes', value: 3 }, DEFAULT_CONFIG);
    expect(dup.decisions).toEqual([]);
    const unknown = processReading(s, { seq: 6, at: T0, metric: 'spin_rate', value: 3 }, DEFAULT_CONFIG);
    expect(unknown.decisions).toEqual([]);
    expect(s.lastSeq).toBe(5);
  });
});
