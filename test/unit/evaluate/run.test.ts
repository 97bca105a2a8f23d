// The engine run of the evaluation: the simulated clinic's resolution lets a later trigger open
// a new episode, and arrival order is restored to seq order per device.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type EngineReading } from '../../../src/engine/index.ts';
import { runDevice } from '../../../simulators/evaluate/run.ts';
import { parseCohortArgs, UsageError } from '../../../simulators/evaluate/args.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2025, 0, 1);
const vt = (seq: number, day: number): EngineReading => ({ seq, at: T0 + day * DAY, metric: 'vt_episodes', value: 1 });

describe('runDevice', () => {
  it('VT reports 3 days apart are one episode; 10 days apart, two (resolved after 7 quiet days)', () => {
    expect(runDevice('d', [vt(1, 0), vt(2, 3)], DEFAULT_CONFIG, 7)).toMatchObject([{ kind: 'ventricular_arrhythmia', occurrences: 2 }]);
    const two = runDevice('d', [vt(1, 0), vt(2, 10)], DEFAULT_CONFIG, 7);
    expect(two.map((e) => e.openedAt)).toEqual([T0, T0 + 10 * DAY]);
  });
});

describe('parseCohortArgs', () => {
  const defaults = { patients: 1000, days: 365, seed: '7' };
  it('defaults and overrides', () => {
    expect(parseCohortArgs([], defaults)).toEqual({ patients: 1000, days: 365, seed: '7', resolveAfterDays: 7, help: false });
    expect(parseCohortArgs(['--patients', '5', '--days', '30', '--seed', 'x'], defaults)).toMatchObject({ patients: 5, days: 30, seed: 'x' });
  });
  it('rejects a bad number or an unknown flag', () => {
    expect(() => parseCohortArgs(['--patients', '0'], defaults)).toThrow(UsageError);
    expect(() => parseCohortArgs(['--nope'], defaults)).toThrow(UsageError);
  });
});
