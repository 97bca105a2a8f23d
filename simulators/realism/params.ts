// Amplitudes of the calibrated background, and the doubled variant. Figures and their sources
// are in docs/simulator.md; the wander SDs are the calibration knobs (npm run calibrate).
import type { NoiseProfile } from '../types.ts';

export interface WanderSpec {
  /** Stationary SD: in the metric's unit, or as a fraction of the value when `relative`. */
  readonly sd: number;
  readonly tauDays: number;
  readonly relative: boolean;
}

export interface RealismParams {
  /** 1 for `calibrated`, 2 for `double`: multiplies every background variability below. */
  readonly scale: number;
  readonly wander: Readonly<Record<string, WanderSpec>>;
  /** SD of log volatility: each patient's wander and outlier rates are multiplied by e^N(0, s). */
  readonly volatilitySdLog: number;
  /** Chance per metric-day of a single odd value. */
  readonly outlierRate: number;
  /** Posture/pocket impedance spikes or drops of 1-2 days, per patient-year. */
  readonly impedanceArtefactsPerYear: number;
  /** Implausible activity-0 days, per patient-year. */
  readonly activityZeroPerYear: number;
  /** Runs of 2-10 missed nights (monitor away), per patient-year. */
  readonly awayRunsPerYear: number;
  /** Benign confounders, per eligible patient-year. */
  readonly respiratoryInfectionsPerYear: number;
  readonly diureticChangesPerYear: number;
  readonly homeCongestionsPerYear: number;
  /** Days with a few non-physiological short V-V intervals, per ICD patient-year. */
  readonly shortVvDaysPerYear: number;
}

const add = (sd: number, tauDays: number): WanderSpec => ({ sd, tauDays, relative: false });
const rel = (sd: number, tauDays: number): WanderSpec => ({ sd, tauDays, relative: true });

export const CALIBRATED: RealismParams = Object.freeze({
  scale: 1,
  wander: Object.freeze({
    thoracic_impedance: add(1.6, 12),
    respiratory_rate: add(0.5, 10),
    night_heart_rate: add(2.5, 14),
    hrv_sdaam: add(6, 14),
    activity: rel(0.12, 10),
    crt_pacing_pct: add(0.8, 7),
    rv_pacing_pct: add(1.5, 14),
    ra_lead_impedance: rel(0.02, 30),
    rv_lead_impedance: rel(0.02, 30),
    lv_lead_impedance: rel(0.025, 30),
    shock_impedance: rel(0.02, 30),
    ra_capture_threshold: add(0.05, 30),
    rv_capture_threshold: add(0.05, 30),
    lv_capture_threshold: add(0.07, 30),
    p_wave_amplitude: rel(0.06, 21),
    r_wave_amplitude: rel(0.06, 21),
  }),
  volatilitySdLog: 0.4,
  outlierRate: 0.003,
  impedanceArtefactsPerYear: 2,
  activityZeroPerYear: 0.5,
  awayRunsPerYear: 2,
  respiratoryInfectionsPerYear: 1.5,
  diureticChangesPerYear: 0.5,
  homeCongestionsPerYear: 0.2,
  shortVvDaysPerYear: 0.5,
});

function doubled(p: RealismParams): RealismParams {
  const wander = Object.fromEntries(Object.entries(p.wander).map(([m, w]) => [m, { ...w, sd: w.sd * 2 }]));
  return Object.freeze({
    ...p,
    scale: 2,
    wander: Object.freeze(wander),
    outlierRate: p.outlierRate * 2,
    impedanceArtefactsPerYear: p.impedanceArtefactsPerYear * 2,
    activityZeroPerYear: p.activityZeroPerYear * 2,
    awayRunsPerYear: p.awayRunsPerYear * 2,
    respiratoryInfectionsPerYear: p.respiratoryInfectionsPerYear * 2,
    diureticChangesPerYear: p.diureticChangesPerYear * 2,
    homeCongestionsPerYear: p.homeCongestionsPerYear * 2,
    shortVvDaysPerYear: p.shortVvDaysPerYear * 2,
  });
}

const DOUBLE = doubled(CALIBRATED);

/** null for `clean`: the original generator, untouched. */
export function realismParams(profile: NoiseProfile): RealismParams | null {
  if (profile === 'clean') return null;
  return profile === 'double' ? DOUBLE : CALIBRATED;
}
