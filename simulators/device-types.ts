// Which device types exist, how common they are, and which metrics each reports.
import type { DeviceType, Vendor } from './types.ts';

/**
 * Share of each type in a large US device clinic (pacemaker 44 %, ICD 16 %, CRT-D 11 %,
 * CRT-P 3 %; the other 26 % are loop recorders, not modelled), renormalised over the four.
 */
export const DEVICE_MIX: Readonly<Record<DeviceType, number>> = Object.freeze({
  pacemaker: 44 / 74,
  icd: 16 / 74,
  crt_d: 11 / 74,
  crt_p: 3 / 74,
});

/** Rough market shares; only the vendor prefix of the id and OptiVol-style fluid_index depend on it. */
export const VENDOR_MIX: Readonly<Record<Vendor, number>> = Object.freeze({
  MDT: 0.45,
  BSX: 0.25,
  ABT: 0.2,
  BIO: 0.1,
});

const BRADY = [
  'night_heart_rate', 'activity', 'hrv_sdaam', 'af_burden', 'rv_pacing_pct',
  'ra_lead_impedance', 'rv_lead_impedance', 'ra_capture_threshold', 'rv_capture_threshold',
  'p_wave_amplitude', 'r_wave_amplitude', 'battery_voltage', 'battery_longevity', 'battery_status',
] as const;
const HF = ['thoracic_impedance', 'respiratory_rate'] as const;
const CRT = ['crt_pacing_pct', 'lv_lead_impedance', 'lv_capture_threshold'] as const;
const TACHY = [
  'shock_impedance', 'charge_time', 'vt_episodes', 'vf_episodes', 'nsvt_episodes',
  'atp_delivered', 'shocks_delivered', 'short_vv_intervals',
] as const;

/**
 * Metrics in each type's nightly transmission, in the order their seqs are assigned.
 * af_ventricular_rate is added only on days with AF; fluid_index only on MDT HF-capable
 * devices; heart_rate only with hourly readings switched on.
 */
export const NIGHTLY_METRICS: Readonly<Record<DeviceType, readonly string[]>> = Object.freeze({
  pacemaker: [...BRADY],
  icd: [...BRADY, ...HF, ...TACHY],
  crt_d: [...BRADY, ...HF, ...CRT, ...TACHY],
  crt_p: [...BRADY, ...HF, ...CRT],
});

export function hasMetric(type: DeviceType, metric: string): boolean {
  return NIGHTLY_METRICS[type].includes(metric);
}

export const isTachyDevice = (t: DeviceType): boolean => t === 'icd' || t === 'crt_d';
export const isCrtDevice = (t: DeviceType): boolean => t === 'crt_d' || t === 'crt_p';
export const hasHfDiagnostics = (t: DeviceType): boolean => t !== 'pacemaker';

/** Every metric a device of this type and vendor can ever send. */
export function metricSet(type: DeviceType, vendor: Vendor): Set<string> {
  const set = new Set<string>([...NIGHTLY_METRICS[type], 'af_ventricular_rate', 'heart_rate']);
  if (vendor === 'MDT' && hasHfDiagnostics(type)) set.add('fluid_index');
  return set;
}

/** Model-code letters used in device ids, loosely after each vendor's serial style. */
export const MODEL_CODES: Readonly<Record<Vendor, Readonly<Record<DeviceType, string>>>> = Object.freeze({
  MDT: { pacemaker: 'PZC', icd: 'BLF', crt_d: 'DTG', crt_p: 'RWJ' },
  BSX: { pacemaker: 'L331', icd: 'D433', crt_d: 'G224', crt_p: 'U228' },
  ABT: { pacemaker: 'PM2272', icd: 'CD1357', crt_d: 'CD3371', crt_p: 'PM3562' },
  BIO: { pacemaker: 'EDO', icd: 'ILV', crt_d: 'ILH', crt_p: 'EVC' },
});
