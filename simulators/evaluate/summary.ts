// The summary of one noise profile (one column of the summary table) and the acceptance
// targets judged on it.
import type { NoiseProfile } from '../types.ts';
import { DEVICE_EVENT_KINDS } from './kinds.ts';
import type { KindMeasures } from './measures.ts';
import { TARGETS, type Target, type TargetMeasure } from './published.ts';
import type { Quartiles } from './stats.ts';

export interface SummaryColumn extends Readonly<Record<TargetMeasure, number>> {
  readonly profile: NoiseProfile;
  readonly hfEvents: number;
  readonly hfDetected: number;
  readonly hfSensitivityCi: readonly [number, number];
  readonly hfPpv: number;
  readonly hfWarningDays: Quartiles;
  /** Device-event kinds (kinds.ts) summed: events detected of events. */
  readonly deviceEventsDetected: number;
  readonly deviceEvents: number;
}

export function summarize(profile: NoiseProfile, kinds: readonly KindMeasures[], all: KindMeasures): SummaryColumn {
  const hf = kinds.find((k) => k.kind === 'hf_decompensation');
  if (!hf) throw new Error('summarize needs the hf_decompensation measures');
  const device = kinds.filter((k) => (DEVICE_EVENT_KINDS as readonly string[]).includes(k.kind));
  return {
    profile,
    hfEvents: hf.events,
    hfDetected: hf.detected,
    hfSensitivity: hf.sensitivity,
    hfSensitivityCi: hf.sensitivityCi,
    hfPpv: hf.ppv,
    hfUnexplainedPerHfPatientYear: hf.unexplainedPerEligiblePatientYear,
    hfWarningDays: hf.warningDays,
    hfMedianWarningDays: hf.warningDays.median,
    burdenPer100PatientWeeks: all.burdenPer100PatientWeeks,
    deviceEventsDetected: device.reduce((s, k) => s + k.detected, 0),
    deviceEvents: device.reduce((s, k) => s + k.events, 0),
  };
}

export interface TargetResult extends Target {
  readonly measured: number;
  /** null when the judged profile was not run; a measure that is NaN does not pass. */
  readonly pass: boolean | null;
}

export function judge(column: SummaryColumn | undefined, targets: readonly Target[] = TARGETS): TargetResult[] {
  return targets.map((t) => {
    if (!column) return { ...t, measured: NaN, pass: null };
    const measured = column[t.measure];
    const pass = t.op === '>=' ? measured >= t.value : measured <= t.value;
    return { ...t, measured, pass };
  });
}
