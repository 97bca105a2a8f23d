// Battery model: longevity counts down a month a month; status follows the device's own
// indicator (BOS → MOS → ERI → EOS), which is what the alert contract says to trust.
import type { Patient } from './types.ts';

export const DAYS_PER_MONTH = 30.44;
/** Longevity left at elective replacement: ERI leaves at least three months before EOS. */
export const ERI_MONTHS = 3;
/** Longevity above which a device still reports beginning of service. */
const BOS_MONTHS = 84;

export function nominalLongevity(p: Patient, day: number): number {
  return p.baselines.longevityMonths - day / DAYS_PER_MONTH;
}

export function nominalStatus(longevity: number): number {
  return longevity > BOS_MONTHS ? 1 : 2;
}

/** Loaded voltage falls with the charge used; the knee near ERI is what vendors key off. */
export function batteryVoltage(longevity: number, status: number): number {
  if (status >= 4) return 2.45;
  if (status === 3) return 2.55 + 0.02 * Math.max(0, longevity);
  return 2.62 + 0.55 * Math.min(1, Math.max(0, longevity) / 150);
}
