// How early the readings could tell a real decompensation at all, measured without the service's
// engine: the published OptiVol index's sensitivity and warning on the profile's admissions,
// and each admission's noise-free signal some days before it, in units of the patient's own
// day-to-day spread. No detector can warn reliably while the signal is inside the noise, so
// these figures bound the sensitivity and warning any engine settings can reach on a profile.
import { ramp } from '../scenarios/types.ts';
import { DAY_MS } from '../time.ts';
import type { TruthEvent } from '../types.ts';
import type { DeviceSeries, SeriesMetric } from './collect.ts';
import { crossingDays, fluidIndexSeries } from './optivol.ts';

export const LEADS = [28, 21, 14, 7, 3, 1] as const;

/** The calibrated scenario's signals (truth params) and how each moves its metric. */
const SIGNALS: ReadonlyArray<{ key: string; metric: SeriesMetric; relative: boolean; scale: number }> = [
  { key: 'thoracicImpedanceFallPct', metric: 'thoracic_impedance', relative: true, scale: 0.01 },
  { key: 'respiratoryRateRise', metric: 'respiratory_rate', relative: false, scale: 1 },
  { key: 'nightHeartRateRise', metric: 'night_heart_rate', relative: false, scale: 1 },
  { key: 'hrvFallFraction', metric: 'hrv_sdaam', relative: true, scale: 1 },
  { key: 'activityFallFraction', metric: 'activity', relative: true, scale: 1 },
];

export interface LeadRow {
  readonly lead: number;
  /** Median noise-free thoracic impedance fall, percent. */
  readonly impedanceFallPct: number;
  /** Median combined signal-to-noise (root sum of squares of each signal / the patient's SD). */
  readonly snrMedian: number;
  readonly shareSnr2: number;
  readonly shareSnr3: number;
}

export interface LeadFigures {
  readonly events: number;
  /** Admissions whose truth carries per-signal onsets and sizes (the calibrated scenario). */
  readonly withSignals: number;
  readonly optivol: { readonly detected: number; readonly warning: readonly [number, number, number] };
  readonly rows: readonly LeadRow[];
}

function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const h = (s.length - 1) * q;
  const lo = Math.floor(h);
  return (s[lo] as number) + ((s[Math.ceil(h)] as number) - (s[lo] as number)) * (h - lo);
}

/** Mean and SD of a metric's reported values on the device's days outside any real HF window. */
function spread(s: DeviceSeries, m: SeriesMetric): { mean: number; sd: number } {
  let n = 0;
  let sum = 0;
  let sq = 0;
  const x = s.values[m];
  for (let d = s.firstDay; d < x.length; d++) {
    const v = x[d] as number;
    if (Number.isNaN(v) || s.hfWindow[d]) continue;
    n++;
    sum += v;
    sq += v * v;
  }
  if (n < 10) return { mean: Number.NaN, sd: Number.NaN };
  const mean = sum / n;
  return { mean, sd: Math.sqrt(Math.max(0, sq / n - mean * mean)) };
}

interface SignalTruth { onsetDaysBeforeAdmission: number; size: number }

export function computeLeads(
  truth: readonly TruthEvent[], series: readonly DeviceSeries[], run: { readonly days: number; readonly start: number },
): LeadFigures {
  const { days, start } = run;
  const day = (iso: string): number => Math.floor((Date.parse(iso) - start) / DAY_MS);
  const byDevice = new Map(series.map((s) => [s.device, s]));
  const events = truth.filter((t) => t.scenario === 'hf_decompensation' && !t.benign &&
    typeof t.params.admission === 'string' && day(t.params.admission) < days && byDevice.get(t.device)?.hf);
  const warnings: number[] = [];
  const perLead = new Map<number, { imp: number[]; snr: number[] }>(LEADS.map((l) => [l, { imp: [], snr: [] }]));
  let withSignals = 0;
  for (const t of events) {
    const s = byDevice.get(t.device) as DeviceSeries;
    const onset = day(t.onset);
    const admission = day(t.params.admission as string);
    const first = crossingDays(fluidIndexSeries(s.values.thoracic_impedance, s.firstDay))
      .find((d) => d >= onset - 14 && d <= admission);
    if (first !== undefined) warnings.push(admission - first);
    const signals = t.params.signals as Record<string, SignalTruth> | undefined;
    if (!signals) continue;
    withSignals++;
    const noise = SIGNALS.map((g) => spread(s, g.metric));
    for (const lead of LEADS) {
      let sq = 0;
      let imp = 0;
      SIGNALS.forEach((g, i) => {
        const sig = signals[g.key];
        const { mean, sd } = noise[i] as { mean: number; sd: number };
        if (!sig || !(sd > 0)) return;
        const f = ramp(-lead, -sig.onsetDaysBeforeAdmission, -1) * sig.size * g.scale;
        if (g.key === 'thoracicImpedanceFallPct') imp = f * 100;
        const z = (g.relative ? f * mean : f) / sd;
        if (z > 0) sq += z * z;
      });
      const row = perLead.get(lead) as { imp: number[]; snr: number[] };
      row.imp.push(imp);
      row.snr.push(Math.sqrt(sq));
    }
  }
  const rows = LEADS.map((lead): LeadRow => {
    const { imp, snr } = perLead.get(lead) as { imp: number[]; snr: number[] };
    const share = (k: number): number => (snr.length ? snr.filter((x) => x >= k).length / snr.length : Number.NaN);
    return { lead, impedanceFallPct: quantile(imp, 0.5), snrMedian: quantile(snr, 0.5), shareSnr2: share(2), shareSnr3: share(3) };
  });
  return {
    events: events.length,
    withSignals,
    optivol: { detected: warnings.length, warning: [quantile(warnings, 0.25), quantile(warnings, 0.5), quantile(warnings, 0.75)] },
    rows,
  };
}
