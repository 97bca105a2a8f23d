// Rates and sizes of the device lifecycle events the simulator draws (docs/simulator.md,
// "Device lifecycle"). Each figure names its source; the ones marked as assumptions have none
// we could find and are kept round.
import type { DeviceType } from '../types.ts';

/**
 * Generator service life L (years) and the share s of patients who live to replace it. In a
 * steady clinic population a device is replaced about 2s / (L (1 + s)) times a patient-year
 * (a patient who dies before ERI spends on average half a service life in the clinic).
 * - pacemaker: median 98.3 months to battery depletion, 55 % of patients used the whole
 *   service life (382 dual-chamber pacemakers, Homburg, PACE 2001;24:810).
 * - ICD: battery longevity 5.5 (single) / 5.8 (dual chamber) years, CRT-D 4.7 years
 *   (Thijssen et al., Heart Rhythm 2012;9:513; 4,673 ICDs, 72 % of replacements for battery
 *   depletion). s for ICD and CRT: assumptions (sicker patients than pacemaker ones).
 * - CRT-P: L between pacemaker and CRT-D, an assumption.
 */
export const SERVICE_LIFE: Readonly<Record<DeviceType, { years: number; survive: number }>> = Object.freeze({
  pacemaker: { years: 98.3 / 12, survive: 0.55 },
  icd: { years: 5.7, survive: 0.6 },
  crt_d: { years: 4.7, survive: 0.5 },
  crt_p: { years: 6.5, survive: 0.5 },
});

/** Elective (ERI-driven) generator changes per patient-year, from SERVICE_LIFE. */
export function generatorChangesPerYear(type: DeviceType): number {
  const { years, survive } = SERVICE_LIFE[type];
  return (2 * survive) / (years * (1 + survive));
}

/**
 * Days from ERI to the replacement: ERI leaves at least three months before EOS (device
 * labelling), and clinics schedule the change within them. Uniform 7-84 days: an assumption
 * inside the labelled margin.
 */
export const ERI_TO_CHANGE_DAYS = { min: 7, max: 84 } as const;
/** EOS this many days after ERI when the generator was not replaced (as battery_eri). */
export const ERI_TO_EOS_DAYS = { min: 92, max: 120 } as const;

/**
 * The new generator's projected longevity at implant, months. Pacemakers: 153 ± 45 months at
 * one month (ESSENTIAL registry, Boriani et al., Clin Cardiol 2018, doi 10.1002/clc.23003). ICD and
 * CRT-D: projections for current devices (LATITUDE database, 4,851 patients, Boriani et al.:
 * estimates above 12-13 years for ICDs and 10 for CRT-D over five years) are well above the observed 4.7-5.8
 * years (Thijssen 2012); we draw between them. CRT-P: an assumption.
 */
export const NEW_LONGEVITY_MONTHS: Readonly<Record<DeviceType, { mean: number; sd: number; lo: number; hi: number }>> = Object.freeze({
  pacemaker: { mean: 153, sd: 45, lo: 90, hi: 220 },
  icd: { mean: 110, sd: 20, lo: 84, hi: 160 },
  crt_d: { mean: 90, sd: 18, lo: 66, hi: 130 },
  crt_p: { mean: 120, sd: 25, lo: 84, hi: 180 },
});

/**
 * Days without any transmission after a generator change: the patient may stay a night, and
 * the new generator has to be paired with the bedside monitor. ICD changes are mostly
 * inpatient with discharge the next day; pacemaker changes often day cases. 1-3 days
 * (the brief; no registry figure found).
 */
export const SURGERY_SILENT_DAYS = { min: 1, max: 3 } as const;

/**
 * The new can's thoracic impedance: the vector runs from the RV coil to the can, so a new can
 * in the same pocket reads a slightly different level: an offset N(0, 3) Ohm truncated to
 * ±8 Ohm (an assumption: "a few Ohm, either sign"). The pocket, opened again, reads low while
 * it heals (OptiVol collects nothing for 34 days after implant "to account for pocket
 * maturation", Medtronic Academy): in 80 % of changes a dip of 3-10 % decaying with a time
 * constant of 5-12 days (gone within about a month), an assumption on the size.
 */
export const CAN_OFFSET_OHM = { sd: 3, max: 8 } as const;
export const POCKET_DIP = { chance: 0.8, min: 0.03, max: 0.1, tauMin: 5, tauMax: 12 } as const;
/** The new device's own fluid index (OptiVol) starts again after 34 days. */
export const FLUID_INDEX_RESTART_DAYS = 34;

/**
 * A new lead's chronic levels. Pacing impedance: RV/RA N(600, 130) Ohm, LV N(760, 220) Ohm (LV
 * quadripolar leads at implant 805 ± 299 Ohm, Zanon et al. 2013), truncated to 400-1200 Ohm.
 * Thresholds: RA/RV N(0.8, 0.2) V, LV N(1.2, 0.35) V, as the patients' own baselines.
 * Sensing: R wave N(11, 3) mV, P wave N(3, 0.8) mV. Shock impedance (an ICD's RV lead carries
 * the coil): N(62, 10) Ohm.
 */
export const NEW_LEAD = {
  impedance: { ra: { mean: 600, sd: 130 }, rv: { mean: 600, sd: 130 }, lv: { mean: 760, sd: 220 }, lo: 400, hi: 1200 },
  threshold: { ra: { mean: 0.8, sd: 0.2 }, rv: { mean: 0.8, sd: 0.2 }, lv: { mean: 1.2, sd: 0.35 }, lo: 0.4, hi: 2.5 },
  rWave: { mean: 11, sd: 3, lo: 5, hi: 20 },
  pWave: { mean: 3, sd: 0.8, lo: 1.5, hi: 5 },
  shock: { mean: 62, sd: 10, lo: 38, hi: 95 },
} as const;

/**
 * Maturation of a new lead. Impedance: 879 ± 184 Ohm on day 1 fell to 677 ± 122 at one month
 * (−23 %, active fixation, Kistler et al., PACE 2006;29:226); a 10-15 % fall within the first
 * week, stable afterwards (Fogel et al., PACE 1996;19:188). So the first value is 12-30 % above
 * the chronic level, decaying with a time constant of 4-8 days (settled within ~30 days).
 * Threshold: 0.7 V on day 1, 0.9 V at one month (+29 %, Kistler 2006); steroid elution
 * attenuates the early peak: a peak of +10-50 % around day 5-10, settled by about a month.
 */
export const MATURATION = {
  impedanceAcute: { min: 0.12, max: 0.3 },
  impedanceTauDays: { min: 4, max: 8 },
  thresholdPeak: { min: 0.1, max: 0.5 },
  thresholdPeakDay: { min: 5, max: 10 },
} as const;

/**
 * What a clinic does about a simulated lead fault, and how long after it shows. A fractured or
 * breached lead is replaced (90 %; the rest are left, e.g. a patient unfit for surgery). A
 * capture threshold rise on an LV lead is mostly handled by another pacing vector (with
 * quadripolar leads, phrenic stimulation was removed by a vector change in all 31 patients
 * who had it, Zanon et al., J Atr Fibrillation 2013, abstract), otherwise by a new lead; on an
 * RV lead by a new lead or a higher output. The delay runs from the day the fault is plain (fracture: the jump;
 * breach: the fall; threshold: reached): the median time from a lead-integrity diagnostic's
 * first alert to the adverse event or its acknowledgement was 2.2 (0.3-13) days (Ricci et al.,
 * J Interv Card Electrophysiol 2012); the procedure follows within days to weeks: 2-21 days
 * (an assumption).
 */
export const FAULT_ACTION = {
  revisionChance: 0.9,
  lvThreshold: { vector: 0.7 },
  rvThreshold: { revision: 0.5 },
  delayDays: { min: 2, max: 21 },
} as const;

/**
 * Pacing vector reprogramming without a fault in the readings. LV, CRT patients: phrenic
 * nerve stimulation appeared at mid-term follow-up (4 ± 3 months) in 29 % of 98 quadripolar
 * patients and was removed by a vector change in all (Zanon et al. 2013); 16 % of 357
 * quadripolar patients over five years in a three-centre UK registry of 721 CRT-D patients. We take 10 per 100 CRT patient-years.
 * RA/RV polarity changes: 1 per 100 patient-years (an assumption). A new LV vector has its own
 * impedance and threshold (drawn as a new LV lead's, NEW_LEAD); an RA/RV polarity change
 * moves impedance by a factor 0.7-0.9 or 1.1-1.3 and the threshold by 0.8-1.25 (assumptions).
 */
export const VECTOR_CHANGES_PER_YEAR = { crtLv: 0.1, raRv: 0.01 } as const;
export const POLARITY = { impedanceFactor: { min: 0.1, max: 0.3 }, thresholdFactor: { min: 0.8, max: 1.25 } } as const;

/**
 * A higher output after a threshold rise shortens the projected longevity: pulse energy grows
 * with the square of the amplitude, so doubling it quadruples pacing drain. With pacing about
 * half of a pacemaker's drain at full pacing (an assumption), the estimate falls by
 * 0.5 × paced share × (1 − 1/k²), k = 1.6-2.4 the amplitude ratio.
 */
export const OUTPUT_CHANGE = { amplitudeRatio: { min: 1.6, max: 2.4 }, pacingShareOfDrain: 0.5 } as const;

/**
 * Events fall from this day on (baselines need history first, as scenarios' onsets) and no
 * later than WINDOW_DAYS before the run's end, so each has its whole window; a patient's events
 * are at least WINDOW_DAYS apart (a later candidate too close to an earlier one is dropped).
 */
export const FIRST_EVENT_DAY = 35;
export const WINDOW_DAYS = 30;
