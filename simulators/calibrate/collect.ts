// Turns a generated cohort into per-device daily series: what a clinic's database would hold,
// rebuilt from the transmissions alone (plus the patient list and the ground truth).
import type { Cohort } from '../cohort.ts';
import { hasHfDiagnostics, isCrtDevice, isTachyDevice } from '../device-types.ts';
import { DAY_MS } from '../time.ts';
import type { DeviceType } from '../types.ts';

export const SERIES_METRICS = [
  'thoracic_impedance', 'respiratory_rate', 'night_heart_rate', 'activity', 'hrv_sdaam',
  'af_burden', 'af_ventricular_rate', 'crt_pacing_pct',
] as const;
export type SeriesMetric = (typeof SERIES_METRICS)[number];

export interface DeviceSeries {
  readonly device: string;
  readonly type: DeviceType;
  readonly hf: boolean;
  readonly crt: boolean;
  readonly tachy: boolean;
  /** First day with a nightly report (days before it the device was not implanted). */
  firstDay: number;
  readonly nightly: Uint8Array;
  readonly shocks: Uint16Array;
  nsvt: number;
  readonly values: Record<SeriesMetric, Float64Array>;
  /** Days inside a real (not benign) HF decompensation window, onset - 14 d to its end. */
  readonly hfWindow: Uint8Array;
}

const METRIC_SET = new Set<string>(SERIES_METRICS);

export function collect(cohort: Cohort, onDay?: (day: number) => void): DeviceSeries[] {
  const { days, start } = cohort.options;
  const byDevice = new Map<string, DeviceSeries>();
  for (const p of cohort.patients) {
    const values = Object.fromEntries(SERIES_METRICS.map((m) => [m, new Float64Array(days).fill(Number.NaN)]));
    byDevice.set(p.device, {
      device: p.device, type: p.type, hf: hasHfDiagnostics(p.type), crt: isCrtDevice(p.type), tachy: isTachyDevice(p.type),
      firstDay: days, nightly: new Uint8Array(days), shocks: new Uint16Array(days), nsvt: 0,
      values: values as Record<SeriesMetric, Float64Array>, hfWindow: new Uint8Array(days),
    });
  }
  for (const t of cohort.truth) {
    if (t.scenario !== 'hf_decompensation' || t.benign) continue;
    const s = byDevice.get(t.device);
    if (!s) continue;
    const from = Math.max(0, Math.floor((Date.parse(t.onset) - start) / DAY_MS) - 14);
    const to = Math.min(days, Math.ceil((Date.parse(t.end) - start) / DAY_MS));
    s.hfWindow.fill(1, from, to);
  }
  let lastDay = -1;
  for (const t of cohort.transmissions()) {
    if (t.duplicate) continue;
    const s = byDevice.get(t.device);
    const day = Math.floor((t.atMs - start) / DAY_MS);
    if (!s || day < 0 || day >= days) continue;
    if (onDay && day > lastDay) onDay((lastDay = day));
    if (t.kind === 'nightly') {
      s.nightly[day] = 1;
      if (day < s.firstDay) s.firstDay = day;
    }
    for (const r of t.readings) {
      if (METRIC_SET.has(r.metric) && t.kind === 'nightly') s.values[r.metric as SeriesMetric][day] = r.value;
      else if (r.metric === 'shocks_delivered') s.shocks[day] = (s.shocks[day] ?? 0) + r.value;
      else if (r.metric === 'nsvt_episodes') s.nsvt += r.value;
    }
  }
  return [...byDevice.values()];
}
