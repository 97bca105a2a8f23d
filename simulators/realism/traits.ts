// Per-patient traits of the calibrated profile: baselines widened to real HF/device
// populations, volatility, implant during the run, permanent AF, background NSVT, upload time.
import { hasHfDiagnostics, isCrtDevice, isTachyDevice } from '../device-types.ts';
import type { Rng } from '../prng.ts';
import type { Patient } from '../types.ts';
import type { RealismParams } from './params.ts';
import { truncatedNormal } from './wander.ts';

export interface RealismTraits {
  /** Multiplies this patient's wander and outlier rates (log-normal, median 1). */
  readonly volatility: number;
  /** First day the device reports; 0 for devices implanted before the run. */
  readonly implantDay: number;
  /** Thoracic impedance rise after implant (fraction of the settled value) and its duration. */
  readonly impedanceSettle: number;
  readonly settleDays: number;
  readonly permanentAf: boolean;
  /** Mean ventricular rate in AF of a permanent-AF patient, /min. */
  readonly afRate: number;
  readonly nsvtPerYear: number;
  /** Nightly upload, minutes after local (Europe/London) midnight. */
  readonly uploadLocalMinute: number;
}

/** Share of patients implanted during the first four months of the run. */
export const IMPLANTED_IN_RUN = 0.15;

const logNormal = (rng: Rng, median: number, sdLog: number): number => median * Math.exp(rng.normal(0, sdLog));
const within = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

export function drawTraits(rng: Rng, p: Patient, params: RealismParams, days: number): RealismTraits {
  const implanted = rng.chance(IMPLANTED_IN_RUN) && days > 14;
  const implantDay = implanted ? rng.int(1, Math.min(120, days - 1)) : 0;
  const hf = hasHfDiagnostics(p.type);
  // Permanent AF: about 10 % of ICD/CRT patients, fewer among pacemaker patients here.
  const permanentAf = rng.chance(hf ? 0.1 : 0.05);
  // NSVT is common in ICD patients (72 % over ~4.7 years in an HFrEF remote-monitoring cohort):
  // about half are NSVT-prone at any time, with widely spread rates.
  const nsvtProne = isTachyDevice(p.type) && rng.chance(0.5);
  return {
    volatility: Math.exp(rng.normal(0, params.volatilitySdLog)),
    implantDay,
    impedanceSettle: rng.uniform(0.1, 0.2),
    settleDays: rng.int(30, 90),
    permanentAf,
    // Rate-controlled permanent AF, 70-100 /min; tighter with CRT, which needs the ventricle
    // paced rather than conducted (often after AV-junction ablation).
    afRate: isCrtDevice(p.type) ? truncatedNormal(rng, 76, 6, 65, 100) : truncatedNormal(rng, 82, 7, 70, 100),
    nsvtPerYear: nsvtProne ? logNormal(rng, 3, 1.2) : 0,
    // From 01:30 local, so that even an early (-30 min) upload in summer time stays on its UTC day.
    uploadLocalMinute: rng.int(90, 340),
  };
}

/**
 * Baselines of real populations rather than the clean profile's tidy ones: log-normal activity
 * and HRV, wider night heart rate, respiratory rate and impedance, and a tail of patients
 * paced below 98 % for CRT. Figures: docs/simulator.md.
 */
export function widenPatient(rng: Rng, p: Patient): Patient {
  const b = p.baselines;
  const hf = hasHfDiagnostics(p.type);
  const crtPct = within(100 - logNormal(rng, 1.8, 0.9), 60, 99.9);
  return {
    ...p,
    baselines: {
      ...b,
      nightHeartRate: within(rng.normal(hf ? 67 : 64, hf ? 8 : 7), 42, 105),
      activity: within(logNormal(rng, hf ? 170 : 200, 0.5), 15, 700),
      hrv: within(logNormal(rng, hf ? 92 : 100, 0.3), 25, 250),
      thoracicImpedance: within(rng.normal(69, 8), 40, 110),
      respiratoryRate: within(rng.normal(17, 2.2), 10, 28),
      crtPacingPct: crtPct,
      rvPacingPct: isCrtDevice(p.type) ? crtPct : b.rvPacingPct,
    },
  };
}
