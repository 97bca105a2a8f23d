// The evaluation's programmatic surface, for tuning engine settings from a script. Tune on
// TUNE_SEEDS; REPORT_SEEDS are for the figures that get quoted.
export { evaluate, measureProfile } from './evaluate.ts';
export type { EvaluateOptions, EvaluationResult, ProfileResult, Progress } from './evaluate.ts';
export { NEXT_DAY_CLINIC } from './episodes.ts';
export type { Clinic } from './episodes.ts';
export { REPORT_COHORT, REPORT_SEEDS, TUNE_SEEDS } from './frozen.ts';
export type { KindMeasures } from './measures.ts';
export { measureLifecycle, scoreLifecycle } from './lifecycle.ts';
export type { LifecycleScore, LifecycleSection } from './lifecycle.ts';
export { prepareCohort } from './prepare.ts';
export type { PrepareOptions, PreparedCohort } from './prepare.ts';
export { scoreCohort } from './run.ts';
export type { CohortScore, ScoreOptions } from './run.ts';
export type { SummaryColumn, TargetResult } from './summary.ts';
