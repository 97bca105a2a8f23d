import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../src/engine/config.ts';
import { acknowledgeResolved } from '../../../src/engine/policy.ts';
import { Device } from './stream.ts';

describe('a condition a clinician resolved while it was present', () => {
  it('does not open again while AF stays over 6 h a day, and opens after rearmDays without it', () => {
    const d = new Device();
    expect(DEFAULT_CONFIG.rearmDays).toBe(3);
    expect(d.send(0, 'af_burden', 20)).toMatchObject([{ kind: 'af_burden', action: 'open' }]);
    d.state = acknowledgeResolved(d.state, 'af_burden');
    // Permanent AF the clinician has seen: the same problem, every day for a month.
    expect(d.nights(1, 30, { af_burden: 20 })).toEqual([]);
    // Two days in sinus rhythm are not enough to call the next AF a new problem; four are.
    d.nights(31, 2, { af_burden: 0 });
    expect(d.send(33, 'af_burden', 12)).toEqual([]);
    d.nights(34, 4, { af_burden: 0 });
    expect(d.send(38, 'af_burden', 12)).toMatchObject([{ kind: 'af_burden', action: 'open' }]);
  });

  it('opens again at once when the condition worsens to a higher priority', () => {
    const d = new Device();
    d.nights(0, 3, { battery_status: 2 });
    expect(d.send(3, 'battery_status', 3)).toMatchObject([{ priority: 'medium', action: 'open' }]);
    d.state = acknowledgeResolved(d.state, 'battery');
    expect(d.nights(4, 20, { battery_status: 3 })).toEqual([]);
    expect(d.send(24, 'battery_status', 4)).toMatchObject([{ kind: 'battery', priority: 'high', action: 'open' }]);
  });

  it('keeps every new ventricular episode and shock news, resolved or not', () => {
    const d = new Device();
    for (let day = 0; day < 3; day++) {
      expect(d.send(day, 'vt_episodes', 1)).toMatchObject([{ kind: 'ventricular_arrhythmia', action: 'open' }]);
      d.state = acknowledgeResolved(d.state, 'ventricular_arrhythmia');
    }
  });

  it('still updates, not re-opens, while the clinician has not resolved it', () => {
    const d = new Device();
    d.send(0, 'af_burden', 20);
    expect(d.nights(1, 2, { af_burden: 20 }).map((x) => x.action)).toEqual(['update', 'update']);
  });
});
