// Eligible exposure, PPV and pooling over seeds and kinds, on hand-made truth and episodes.
import { describe, expect, it } from 'vitest';
import type { AlertKind } from '../../../src/engine/index.ts';
import type { AlertEpisode } from '../../../simulators/evaluate/episodes.ts';
import { countEligible, eligibilityOf } from '../../../simulators/evaluate/kinds.ts';
import { tallyKind, type KindTally } from '../../../simulators/evaluate/match.ts';
import { allKinds, measure, poolSeeds } from '../../../simulators/evaluate/measures.ts';
import type { DeviceType, TruthEvent } from '../../../simulators/index.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2025, 0, 1);
const iso = (day: number): string => new Date(T0 + day * DAY).toISOString();

const truth = (kind: AlertKind, device: string, onset: number, end: number, benign = false): TruthEvent => ({
  patientId: `p-${device}`, device, site: 'sim', kind, scenario: benign ? 'noisy_night' : 'hf_decompensation', benign,
  onset: iso(onset), end: iso(end), params: {},
});
const episode = (kind: AlertKind, device: string, day: number): AlertEpisode =>
  ({ device, kind, openedAt: T0 + day * DAY, lastSeenAt: T0 + day * DAY, occurrences: 1 });

// 8 patients: 4 pacemakers, 2 ICDs, 1 CRT-D, 1 CRT-P.
const TYPES: DeviceType[] = ['pacemaker', 'pacemaker', 'pacemaker', 'pacemaker', 'icd', 'icd', 'crt_d', 'crt_p'];

function tally(kind: AlertKind, events: TruthEvent[], episodes: AlertEpisode[], days = 365): KindTally {
  const eligible = countEligible(TYPES);
  return tallyKind(kind, events, episodes, { days, patients: TYPES.length, eligiblePatients: eligible[eligibilityOf(kind)] });
}

describe('eligible exposure', () => {
  it('counts the patients who can have each kind', () => {
    expect(countEligible(TYPES)).toEqual({ 'hf-monitored': 4, tachy: 3, crt: 2, all: 8 });
    expect(eligibilityOf('hf_decompensation')).toBe('hf-monitored');
    expect(eligibilityOf('shock_delivered')).toBe('tachy');
    expect(eligibilityOf('crt_pacing_loss')).toBe('crt');
    expect(eligibilityOf('battery')).toBe('all');
  });

  it('an unexplained HF alert on an ICD counts against HF-monitored patient-years only', () => {
    const r = measure(tally('hf_decompensation', [], [episode('hf_decompensation', 'icd-1', 100)]));
    expect(r.eligiblePatientYears).toBe(4);
    expect(r.unexplainedPerEligiblePatientYear).toBe(0.25);
    // Burden stays over all 8 patients: 1 opening / (8/100 × 365/7).
    expect(r.burdenPer100PatientWeeks).toBeCloseTo(1 / ((8 / 100) * (365 / 7)), 12);
  });

  it('tachy and CRT kinds over their own devices, the rest over everyone', () => {
    const one = (kind: AlertKind): number => measure(tally(kind, [], [episode(kind, 'x', 10)])).unexplainedPerEligiblePatientYear;
    expect(one('ventricular_arrhythmia')).toBeCloseTo(1 / 3, 12);
    expect(one('crt_pacing_loss')).toBe(0.5);
    expect(one('lead_integrity')).toBe(0.125);
  });
});

describe('PPV', () => {
  it('openings explained by a real event over all openings; a look-alike explains nothing', () => {
    const events = [truth('af_burden', 'a', 10, 20), truth('af_burden', 'b', 50, 52, true)];
    const episodes = [
      episode('af_burden', 'a', 12), episode('af_burden', 'a', 13), episode('af_burden', 'a', 21), // explained
      episode('af_burden', 'b', 51), // on the look-alike
      episode('af_burden', 'c', 80), // nothing at all
    ];
    const r = measure(tally('af_burden', events, episodes));
    expect(r).toMatchObject({ openings: 5, explained: 3, unexplained: 2, ppv: 0.6, benignAlerted: 1, detected: 1 });
  });

  it('is NaN without openings', () => {
    expect(measure(tally('battery', [truth('battery', 'a', 10, 20)], [])).ppv).toBeNaN();
  });
});

describe('pooling', () => {
  it('sums counts and exposure over seeds and takes warning quartiles over every detection', () => {
    const s1 = tally('af_burden', [truth('af_burden', 'a', 10, 20)], [episode('af_burden', 'a', 10)]);
    const s2 = tally('af_burden', [truth('af_burden', 'a', 10, 20), truth('af_burden', 'b', 10, 30)],
      [episode('af_burden', 'a', 18), episode('af_burden', 'b', 10), episode('af_burden', 'c', 5)]);
    const r = measure(poolSeeds([s1, s2]));
    expect(r).toMatchObject({ events: 3, detected: 3, openings: 4, explained: 3, ppv: 0.75 });
    expect(r.eligiblePatientYears).toBe(16);
    expect(r.unexplainedPerEligiblePatientYear).toBe(1 / 16);
    expect(r.warningDays).toEqual({ p25: 6, median: 10, p75: 15 });
    expect(() => poolSeeds([s1, tally('battery', [], [])])).toThrow();
  });

  it('all kinds: sums over kinds, rates over all patients, no warning', () => {
    const hf = tally('hf_decompensation', [], [episode('hf_decompensation', 'icd-1', 100)]);
    const af = tally('af_burden', [truth('af_burden', 'a', 10, 20)], [episode('af_burden', 'a', 10)]);
    const r = measure(allKinds([hf, af]));
    expect(r).toMatchObject({ kind: 'all kinds', events: 1, detected: 1, openings: 2, explained: 1, eligiblePatientYears: 8 });
    expect(r.burdenPer100PatientWeeks).toBeCloseTo(2 / ((8 / 100) * (365 / 7)), 12);
    expect(r.warningDays.median).toBeNaN();
  });
});
