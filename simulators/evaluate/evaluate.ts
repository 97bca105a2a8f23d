// The evaluation as a function, for the CLI and for tuning scripts:
//
//   const r = evaluate({ profile: 'calibrated', seeds: TUNE_SEEDS, config });
//
// or, to score many settings on the same readings without regenerating them:
//
//   const cohorts = TUNE_SEEDS.map((seed) => prepareCohort({ seed, profile: 'calibrated', ...REPORT_COHORT }));
//   const r = measureProfile('calibrated', cohorts.map((c) => scoreCohort(c, { config })));
import type { AlertKind, EngineConfig } from '../../src/engine/index.ts';
import { NOISE_PROFILES, type NoiseProfile } from '../types.ts';
import { NEXT_DAY_CLINIC, type Clinic } from './episodes.ts';
import { REPORT_COHORT, REPORT_SEEDS } from './frozen.ts';
import { KINDS } from './kinds.ts';
import { measureLifecycle, scoreLifecycle, type LifecycleSection } from './lifecycle.ts';
import type { KindTally } from './match.ts';
import { allKinds, measure, poolSeeds, type KindMeasures } from './measures.ts';
import { prepareCohort } from './prepare.ts';
import { HF_REFERENCES, JUDGED_PROFILE, type Reference } from './published.ts';
import { scoreCohort, type CohortScore } from './run.ts';
import { judge, summarize, type SummaryColumn, type TargetResult } from './summary.ts';

export interface Progress {
  readonly profile: NoiseProfile;
  readonly seed: string;
  readonly phase: 'generate' | 'score' | 'lifecycle-generate' | 'lifecycle-score';
  /** Share of the phase done, 0..1. */
  readonly done: number;
}

export interface EvaluateOptions {
  /** Default 'all': clean, calibrated and double. */
  readonly profile?: NoiseProfile | 'all' | readonly NoiseProfile[];
  /** Default REPORT_SEEDS; pooled when several. */
  readonly seeds?: readonly string[];
  /** Default REPORT_COHORT (1,000 × 365). */
  readonly patients?: number;
  readonly days?: number;
  /** Default DEFAULT_CONFIG. */
  readonly config?: EngineConfig;
  /** Default NEXT_DAY_CLINIC. */
  readonly clinic?: Clinic;
  /**
   * Also the lifecycle section: per profile and seed, the same cohort with device lifecycle
   * events, run with them recorded and without (lifecycle.ts). The main tables are unchanged.
   */
  readonly lifecycle?: boolean;
  readonly onProgress?: (p: Progress) => void;
}

export interface ProfileResult {
  readonly profile: NoiseProfile;
  readonly seeds: readonly string[];
  readonly readings: number;
  /** One entry per evaluated kind, seeds pooled. */
  readonly kinds: readonly KindMeasures[];
  readonly allKinds: KindMeasures;
  readonly summary: SummaryColumn;
}

export interface EvaluationResult {
  readonly patients: number;
  readonly days: number;
  readonly seeds: readonly string[];
  readonly clinic: Clinic;
  readonly profiles: readonly ProfileResult[];
  readonly references: readonly Reference[];
  /** Judged on the calibrated profile; pass is null when it was not run. */
  readonly targets: readonly TargetResult[];
  /** One per profile, when run with `lifecycle`. */
  readonly lifecycle?: readonly LifecycleSection[];
}

function profilesOf(p: EvaluateOptions['profile']): NoiseProfile[] {
  if (p === undefined || p === 'all') return [...NOISE_PROFILES];
  return typeof p === 'string' ? [p] : [...p];
}

function tallyOf(score: CohortScore, kind: AlertKind): KindTally {
  const t = score.tallies.find((x) => x.kind === kind);
  if (!t) throw new Error(`no ${kind} tally for seed ${score.seed}`);
  return t;
}

/** The measures of one profile from its cohorts' scores (one per seed, same settings). */
export function measureProfile(profile: NoiseProfile, scores: readonly CohortScore[]): ProfileResult {
  const kinds = KINDS.map((kind) => poolSeeds(scores.map((s) => tallyOf(s, kind))));
  const measured = kinds.map(measure);
  const all = measure(allKinds(kinds));
  return {
    profile,
    seeds: scores.map((s) => s.seed),
    readings: scores.reduce((n, s) => n + s.readings, 0),
    kinds: measured,
    allKinds: all,
    summary: summarize(profile, measured, all),
  };
}

/** Generates, scores and measures every profile × seed, one cohort in memory at a time. */
export function evaluate(options: EvaluateOptions = {}): EvaluationResult {
  const seeds = options.seeds ?? REPORT_SEEDS;
  if (seeds.length === 0) throw new RangeError('evaluate needs at least one seed');
  const patients = options.patients ?? REPORT_COHORT.patients;
  const days = options.days ?? REPORT_COHORT.days;
  const clinic = options.clinic ?? NEXT_DAY_CLINIC;
  const report = options.onProgress;
  const profiles = profilesOf(options.profile).map((profile) => measureProfile(profile, seeds.map((seed) => {
    const prepared = prepareCohort({
      seed, profile, patients, days, onProgress: report && ((done) => report({ profile, seed, phase: 'generate', done })),
    });
    return scoreCohort(prepared, {
      config: options.config, clinic, onProgress: report && ((done) => report({ profile, seed, phase: 'score', done })),
    });
  })));
  const judged = profiles.find((p) => p.profile === JUDGED_PROFILE);
  const lifecycle = options.lifecycle
    ? profilesOf(options.profile).map((profile) => measureLifecycle(seeds.map((seed) => {
      const prepared = prepareCohort({
        seed, profile, patients, days, lifecycle: true,
        onProgress: report && ((done) => report({ profile, seed, phase: 'lifecycle-generate', done })),
      });
      return scoreLifecycle(prepared, {
        config: options.config, clinic, onProgress: report && ((done) => report({ profile, seed, phase: 'lifecycle-score', done })),
      });
    })))
    : null;
  return {
    patients, days, seeds, clinic, profiles, references: HF_REFERENCES, targets: judge(judged?.summary),
    ...(lifecycle ? { lifecycle } : {}),
  };
}
