import { INGEST_STAGES } from '../../src/observability/metrics.ts';
import { scrapeService } from '../metrics-text.ts';

// The service's own histograms, read from its /metrics before and after a phase: its group
// commits, where its batches' time went (telemetry_ingest_stage_seconds), and how long alert
// decisions waited in the outbox after their readings committed (telemetry_alert_outbox_seconds),
// and in how many of the applier's passes (telemetry_alert_outbox_passes_total).

/** Cumulative bucket counts of one histogram series: upper bound (Infinity last) → count. */
type Buckets = Map<number, number>;
export type Histograms = Map<string, Buckets>;

const KEYS: Record<string, string> = {
  telemetry_commit_seconds: 'flush', telemetry_ingest_stage_seconds: 'stage', telemetry_alert_outbox_seconds: 'outbox',
};

/** Every series of the histograms in KEYS, keyed by name and stage. */
export async function readHistograms(port: number): Promise<Histograms> {
  const out: Histograms = new Map();
  for (const s of await scrapeService(port)) {
    // The applier's passes: a counter, kept as a one-bucket series.
    if (s.name === 'telemetry_alert_outbox_passes_total') out.set('passes:', new Map([[Infinity, s.value]]));
    const what = s.name.endsWith('_bucket') ? KEYS[s.name.slice(0, -'_bucket'.length)] : undefined;
    if (what === undefined) continue;
    const key = `${what}:${s.labels.stage ?? ''}`;
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    if (!out.has(key)) out.set(key, new Map());
    out.get(key)!.set(le, s.value);
  }
  return out;
}

function delta(a: Histograms, b: Histograms, key: string): Buckets {
  const before = a.get(key);
  const d: Buckets = new Map();
  for (const [le, n] of b.get(key) ?? []) d.set(le, n - (before?.get(le) ?? 0));
  return d;
}

/** The upper bound of the bucket holding the p-th percentile (a histogram knows no finer). */
function bound(d: Buckets, p: number): number {
  const total = d.get(Infinity) ?? 0;
  if (total === 0) return NaN;
  const les = [...d.keys()].sort((x, y) => x - y);
  return les.find((le) => d.get(le)! >= (p / 100) * total) ?? Infinity;
}

const ms = (s: number) => (Number.isFinite(s) ? `${Math.round(s * 1000)}` : s === Infinity ? '>5000' : '-');

export function describeService(a: Histograms, b: Histograms): string {
  const flushes = delta(a, b, 'flush:');
  const n = flushes.get(Infinity) ?? 0;
  const over = (le: number) => (n - (flushes.get(le) ?? 0)).toLocaleString('en');
  const stages = INGEST_STAGES
    .map((s) => { const d = delta(a, b, `stage:${s}`); return `${s} ${ms(bound(d, 50))}/${ms(bound(d, 99))}`; });
  const outbox = delta(a, b, 'outbox:');
  const passes = delta(a, b, 'passes:').get(Infinity) ?? 0;
  return `flushes ${n.toLocaleString('en')} (${over(0.1)} over 100 ms, ${over(0.2)} over 200); ` +
    `batch stages p50/p99 at most, ms: ${stages.join(', ')}; ` +
    `alert decisions applied ${(outbox.get(Infinity) ?? 0).toLocaleString('en')} groups in ${passes.toLocaleString('en')} passes, after commit p50/p99 at most ${ms(bound(outbox, 50))}/${ms(bound(outbox, 99))} ms`;
}
