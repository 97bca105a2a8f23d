// Which alert kinds are evaluated, and which patients can have each: the denominator of an
// alert rate. A heart-failure alert is a burden on the patients whose device monitors fluid,
// not on the pacemaker patients, who dilute the rate without ever being able to raise one.
import type { AlertKind } from '../../src/engine/index.ts';
import { hasHfDiagnostics, isCrtDevice, isTachyDevice } from '../device-types.ts';
import type { DeviceType } from '../types.ts';

// connectivity_loss is a site-level check outside processReading, so it is not evaluated here.
export const KINDS: readonly AlertKind[] = [
  'hf_decompensation', 'ventricular_arrhythmia', 'shock_delivered', 'lead_integrity', 'capture_threshold',
  'battery', 'af_burden', 'af_fast_ventricular_rate', 'crt_pacing_loss',
];

/** Every evaluated kind but heart failure: what the device records (arrhythmia, therapy) or its own faults. */
export const DEVICE_EVENT_KINDS: readonly AlertKind[] = KINDS.filter((k) => k !== 'hf_decompensation');

export type Eligibility = 'hf-monitored' | 'tachy' | 'crt' | 'all';

export function eligibilityOf(kind: AlertKind): Eligibility {
  switch (kind) {
    case 'hf_decompensation': return 'hf-monitored';
    case 'ventricular_arrhythmia':
    case 'shock_delivered': return 'tachy';
    case 'crt_pacing_loss': return 'crt';
    default: return 'all';
  }
}

export function isEligible(e: Eligibility, type: DeviceType): boolean {
  switch (e) {
    case 'hf-monitored': return hasHfDiagnostics(type);
    case 'tachy': return isTachyDevice(type);
    case 'crt': return isCrtDevice(type);
    case 'all': return true;
  }
}

/** Patients of a cohort who can have an alert of each eligibility. */
export type EligibleCounts = Readonly<Record<Eligibility, number>>;

export function countEligible(types: readonly DeviceType[]): EligibleCounts {
  const count = (e: Eligibility): number => types.filter((t) => isEligible(e, t)).length;
  return { 'hf-monitored': count('hf-monitored'), tachy: count('tachy'), crt: count('crt'), all: types.length };
}
