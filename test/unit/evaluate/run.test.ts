// The engine run of the evaluation: the simulated clinic's resolution lets a later trigger open
// a new episode, and a prepared cohort's columns reach the engine in seq order.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type EngineReading } from '../../../src/engine/index.ts';
import { NEXT_DAY_CLINIC } from '../../../simulators/evaluate/episodes.ts';
import { engineReadings, type PreparedCohort } from '../../../simulators/evaluate/prepare.ts';
import { runDevice, scoreCohort } from '../../../simulators/evaluate/run.ts';
import type { TruthEvent } from '../../../simulators/index.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2025, 0, 1);
const vt = (seq: number, day: number): EngineReading => ({ seq, at: T0 + day * DAY, metric: 'vt_episodes', value: 1 });
const QUIET_7 = { resolve: 'quiet', days: 7 } as const;

describe('runDevice', () => {
  it('quiet clinic: VT reports 3 days apart are one episode; 10 days apart, two', () => {
    expect(runDevice('d', [vt(1, 0), vt(2, 3)], DEFAULT_CONFIG, QUIET_7)).toMatchObject([{ kind: 'ventricular_arrhythmia', occurrences: 2 }]);
    const two = runDevice('d', [vt(1, 0), vt(2, 10)], DEFAULT_CONFIG, QUIET_7);
    expect(two.map((e) => e.openedAt)).toEqual([T0, T0 + 10 * DAY]);
  });

  it('next-day clinic: a VT report on each of three days is three openings, the engine told of each resolution', () => {
    const episodes = runDevice('d', [vt(1, 0), vt(2, 1), vt(3, 3)], DEFAULT_CONFIG, NEXT_DAY_CLINIC);
    expect(episodes.map((e) => (e.openedAt - T0) / DAY)).toEqual([0, 1, 3]);
  });

  it('next-day clinic: a second report the same day updates the open alert', () => {
    const episodes = runDevice('d', [vt(1, 0), vt(2, 0.5)], DEFAULT_CONFIG, NEXT_DAY_CLINIC);
    expect(episodes).toMatchObject([{ openedAt: T0, occurrences: 2 }]);
  });
});

describe('scoreCohort', () => {
  const truth: TruthEvent = {
    patientId: 'p1', device: 'icd-1', site: 'sim', kind: 'ventricular_arrhythmia', scenario: 'ventricular_arrhythmia',
    benign: false, onset: new Date(T0).toISOString(), end: new Date(T0 + DAY).toISOString(), params: {},
  };
  const columns = (days: number[]) => ({
    seq: Float64Array.from(days, (_, i) => i + 1), at: Float64Array.from(days, (d) => T0 + d * DAY),
    metric: new Uint16Array(days.length), value: Float64Array.from(days, () => 1),
  });
  const prepared: PreparedCohort = {
    seed: 's', profile: 'clean', patients: 2, days: 10, metrics: ['vt_episodes'], truth: [truth], readings: 3,
    devices: [{ device: 'icd-1', type: 'icd', ...columns([0, 1]) }, { device: 'pm-1', type: 'pacemaker', ...columns([5]) }],
  };

  it('replays the columns as engine readings', () => {
    expect([...engineReadings(prepared.devices[1] as PreparedCohort['devices'][number], prepared.metrics)])
      .toEqual([{ seq: 1, at: T0 + 5 * DAY, metric: 'vt_episodes', value: 1 }]);
  });

  it('counts re-openings, and tachy exposure over the one ICD', () => {
    const vtTally = scoreCohort(prepared).tallies.find((t) => t.kind === 'ventricular_arrhythmia');
    // icd-1: opened day 0, resolved and re-opened day 1 (both explained); pm-1: day 5, unexplained.
    expect(vtTally).toMatchObject({ events: 1, detected: 1, openings: 3, explained: 2, eligiblePatientDays: 10, patientDays: 20 });
    const quiet = scoreCohort(prepared, { clinic: QUIET_7 }).tallies.find((t) => t.kind === 'ventricular_arrhythmia');
    expect(quiet).toMatchObject({ openings: 2, explained: 1 });
  });
});
