// The contract between the day generator and the scenarios that bend its values.
import type { Rng } from '../prng.ts';
import type { RealismParams } from '../realism/params.ts';
import type { AlertKind, JsonValue, Patient, ScenarioName, TruthEvent } from '../types.ts';

/** An event-triggered transmission (VT/VF episode, therapy) within the day. */
export interface EpisodeEvent {
  readonly atMs: number;
  readonly values: ReadonlyArray<readonly [metric: string, value: number]>;
}

/** One patient-day being generated: scenarios adjust it in place. */
export interface DayContext {
  readonly day: number;
  readonly dayStart: number;
  readonly patient: Patient;
  readonly rng: Rng;
  /** The nightly transmission's values by metric name, before rounding and clamping. */
  readonly values: Record<string, number>;
  readonly events: EpisodeEvent[];
  /** No transmission of any kind today. */
  silent: boolean;
  /** Added to every hourly heart rate of the day. */
  hrOffset: number;
}

export interface ScenarioInstance {
  /** Usually one record; a VT/VF scenario with shocks also yields a shock_delivered record. */
  readonly truths: readonly TruthEvent[];
  /** Days (0-based, inclusive) on which apply() must be called. */
  readonly firstDay: number;
  readonly lastDay: number;
  apply(ctx: DayContext): void;
}

export interface PlanContext {
  readonly patient: Patient;
  readonly rng: Rng;
  readonly onsetDay: number;
  /** Length of the run in days. */
  readonly days: number;
  readonly start: number;
  /** The calibrated background's amplitudes; absent in the clean profile. */
  readonly realism?: RealismParams;
  /** First day the patient's device reports (after an implant during the run). */
  readonly earliestDay?: number;
}

export interface ScenarioDef {
  readonly name: ScenarioName;
  readonly kind: AlertKind;
  readonly benign: boolean;
  /** Default share of eligible patients who get it. */
  readonly share: number;
  eligible(p: Patient): boolean;
  /** Days the scenario needs after its onset to show its whole shape. */
  readonly span: number;
  create(ctx: PlanContext): ScenarioInstance;
}

export type Params = { [k: string]: JsonValue };

/** 0 before `from`, 1 after `to`, smooth in between: trajectories that bend, not step. */
export function ramp(day: number, from: number, to: number): number {
  if (day <= from) return 0;
  if (day >= to) return 1;
  const x = (day - from) / (to - from);
  return x * x * (3 - 2 * x);
}

export const round = (x: number, digits = 1): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};
