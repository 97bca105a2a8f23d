// Published figures of comparable heart-failure algorithms, shown beside the measured ones, and
// the project's acceptance targets. Sources: MultiSENSE (HeartLogic, Boston Scientific),
// MID-HeFT (OptiVol, Medtronic) and a real-world series from Leiden. Their unexplained rates
// are per patient-year of patients with such a device, the denominator used here for heart failure.
import type { NoiseProfile } from '../types.ts';

export interface Reference {
  readonly name: string;
  readonly sensitivity?: number;
  readonly unexplainedPerPatientYear?: number;
  readonly medianWarningDays?: number;
}

export const HF_REFERENCES: readonly Reference[] = [
  { name: 'HeartLogic (MultiSENSE)', sensitivity: 0.7, unexplainedPerPatientYear: 1.47, medianWarningDays: 34 },
  { name: 'OptiVol (MID-HeFT)', sensitivity: 0.769, unexplainedPerPatientYear: 1.5 },
  { name: 'Leiden real world', sensitivity: 0.79, unexplainedPerPatientYear: 0.23 },
];

export type TargetMeasure = 'hfSensitivity' | 'hfUnexplainedPerHfPatientYear' | 'hfMedianWarningDays' | 'burdenPer100PatientWeeks';

export interface Target {
  readonly measure: TargetMeasure;
  readonly label: string;
  readonly op: '>=' | '<=';
  readonly value: number;
  readonly unit: string;
}

/** Judged on the calibrated profile: the one meant to resemble real devices' background. */
export const TARGETS: readonly Target[] = [
  { measure: 'hfSensitivity', label: 'HF sensitivity', op: '>=', value: 0.85, unit: '' },
  { measure: 'hfUnexplainedPerHfPatientYear', label: 'HF unexplained / HF-monitored pt-yr', op: '<=', value: 0.5, unit: '' },
  { measure: 'hfMedianWarningDays', label: 'HF median warning', op: '>=', value: 14, unit: 'd' },
  { measure: 'burdenPer100PatientWeeks', label: 'burden, all kinds / 100 pt / wk', op: '<=', value: 2, unit: '' },
];

export const JUDGED_PROFILE: NoiseProfile = 'calibrated';
