// The programmatic evaluation end to end on a tiny cohort: its shape, the judged profile, and
// that scoring a prepared cohort gives what evaluate() gives.
import { describe, expect, it } from 'vitest';
import { evaluate, measureProfile, prepareCohort, scoreCohort } from '../../../simulators/evaluate/index.ts';
import { KINDS } from '../../../simulators/evaluate/kinds.ts';

const SIZE = { patients: 20, days: 30 };

describe('evaluate', () => {
  it('one profile, one seed: a measure per kind, and targets judged only when calibrated ran', () => {
    const clean = evaluate({ profile: 'clean', seeds: ['u1'], ...SIZE });
    expect(clean.profiles.map((p) => p.profile)).toEqual(['clean']);
    expect(clean.profiles[0]?.kinds.map((k) => k.kind)).toEqual(KINDS);
    expect(clean.targets.every((t) => t.pass === null)).toBe(true);
    const calibrated = evaluate({ profile: 'calibrated', seeds: ['u1'], ...SIZE });
    expect(calibrated.targets.every((t) => typeof t.pass === 'boolean')).toBe(true);
  });

  it('prepareCohort + scoreCohort + measureProfile is evaluate() without regenerating', () => {
    const seeds = ['u1', 'u2'];
    const cohorts = seeds.map((seed) => prepareCohort({ seed, profile: 'clean', ...SIZE }));
    const twice = [0, 1].map(() => measureProfile('clean', cohorts.map((c) => scoreCohort(c))));
    const direct = evaluate({ profile: 'clean', seeds, ...SIZE }).profiles[0];
    expect(twice[0]).toEqual(direct);
    expect(twice[1]).toEqual(direct);
  });
});
