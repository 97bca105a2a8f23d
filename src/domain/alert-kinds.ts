import type { AlertKind } from './types.ts';

/** Every alert kind of alerts contract v1, for validating filters. */
export const ALERT_KINDS: readonly AlertKind[] = Object.freeze([
  'ventricular_arrhythmia', 'shock_delivered', 'lead_integrity', 'capture_threshold', 'battery',
  'af_burden', 'af_fast_ventricular_rate', 'crt_pacing_loss', 'hf_decompensation', 'connectivity_loss',
] satisfies AlertKind[]);
