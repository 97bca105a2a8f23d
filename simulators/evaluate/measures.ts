// Rates from the counts of match.ts. Several seeds are pooled by summing counts and exposure
// before dividing (and taking warning quartiles over every detection), so a seed with few
// events weighs what its events weigh, not a third of the result.
import type { AlertKind } from '../../src/engine/index.ts';
import type { KindTally } from './match.ts';
import { quartiles, wilson, type Quartiles } from './stats.ts';

export interface KindMeasures {
  readonly kind: AlertKind | 'all kinds';
  readonly events: number;
  readonly detected: number;
  /** detected / events, and its Wilson 95 % interval; NaN without events. */
  readonly sensitivity: number;
  readonly sensitivityCi: readonly [number, number];
  readonly openings: number;
  readonly explained: number;
  readonly unexplained: number;
  /** explained / openings; NaN without openings. */
  readonly ppv: number;
  readonly eligiblePatientYears: number;
  /** Unexplained openings per patient-year of the patients who can have the kind. */
  readonly unexplainedPerEligiblePatientYear: number;
  /** Days of warning before the deadline (admission or end), over detected events. */
  readonly warningDays: Quartiles;
  /** Openings per 100 patients per week, over all patients. */
  readonly burdenPer100PatientWeeks: number;
  readonly benignEvents: number;
  readonly benignAlerted: number;
}

const ratio = (a: number, b: number): number => (b === 0 ? NaN : a / b);

const sum = (tallies: readonly KindTally[], f: (t: KindTally) => number): number => tallies.reduce((s, t) => s + f(t), 0);

/** One kind's tallies of several cohorts (seeds) as one. */
export function poolSeeds(tallies: readonly KindTally[]): KindTally {
  const first = tallies[0];
  if (!first || tallies.some((t) => t.kind !== first.kind)) throw new Error('poolSeeds needs tallies of one kind');
  return {
    kind: first.kind,
    events: sum(tallies, (t) => t.events),
    detected: sum(tallies, (t) => t.detected),
    openings: sum(tallies, (t) => t.openings),
    explained: sum(tallies, (t) => t.explained),
    warnings: tallies.flatMap((t) => t.warnings),
    benignEvents: sum(tallies, (t) => t.benignEvents),
    benignAlerted: sum(tallies, (t) => t.benignAlerted),
    eligiblePatientDays: sum(tallies, (t) => t.eligiblePatientDays),
    patientDays: sum(tallies, (t) => t.patientDays),
  };
}

/**
 * Every kind of the same cohorts as one, over all patients. No warning times: they measure
 * different things per kind (to an admission, to a fault's end).
 */
export function allKinds(perKind: readonly KindTally[]): KindTally {
  const patientDays = perKind[0]?.patientDays ?? 0;
  if (perKind.some((t) => t.patientDays !== patientDays)) throw new Error('allKinds needs tallies of the same cohorts');
  return {
    kind: 'all kinds',
    events: sum(perKind, (t) => t.events),
    detected: sum(perKind, (t) => t.detected),
    openings: sum(perKind, (t) => t.openings),
    explained: sum(perKind, (t) => t.explained),
    warnings: [],
    benignEvents: sum(perKind, (t) => t.benignEvents),
    benignAlerted: sum(perKind, (t) => t.benignAlerted),
    eligiblePatientDays: patientDays,
    patientDays,
  };
}

export function measure(t: KindTally): KindMeasures {
  const eligiblePatientYears = t.eligiblePatientDays / 365;
  const unexplained = t.openings - t.explained;
  return {
    kind: t.kind,
    events: t.events,
    detected: t.detected,
    sensitivity: ratio(t.detected, t.events),
    sensitivityCi: wilson(t.detected, t.events),
    openings: t.openings,
    explained: t.explained,
    unexplained,
    ppv: ratio(t.explained, t.openings),
    eligiblePatientYears,
    unexplainedPerEligiblePatientYear: ratio(unexplained, eligiblePatientYears),
    warningDays: quartiles(t.warnings),
    burdenPer100PatientWeeks: ratio(t.openings, t.patientDays / 700),
    benignEvents: t.benignEvents,
    benignAlerted: t.benignAlerted,
  };
}
