import { INGEST_STAGES } from '../../src/observability/metrics.ts';

// The service's own histograms, read from its /metrics before and after a phase: its group
// commits by path, and where its batches' time went (telemetry_ingest_stage_seconds).

/** Cumulative bucket counts of one histogram series: upper bound (Infinity last) → count. */
type Buckets = Map<number, number>;
export type Histograms = Map<string, Buckets>;

/** Every series of the service's telemetry_commit_seconds and telemetry_ingest_stage_seconds, keyed by its label. */
export async function readHistograms(port: number): Promise<Histograms> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out: Histograms = new Map();
  const line = /^(telemetry_commit_seconds|telemetry_ingest_stage_seconds)_bucket\{(.*)\} ([0-9.e+-]+)$/;
  for (const l of text.split('\n')) {
    const m = line.exec(l);
    if (!m) continue;
    const labels = Object.fromEntries([...m[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1]!, x[2]!]));
    const key = `${m[1] === 'telemetry_commit_seconds' ? 'flush' : 'stage'}:${labels.path ?? labels.stage}`;
    const le = labels.le === '+Inf' ? Infinity : Number(labels.le);
    if (!out.has(key)) out.set(key, new Map());
    out.get(key)!.set(le, Number(m[3]));
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
  const flush = (path: string, name: string) => {
    const d = delta(a, b, `flush:${path}`);
    const n = d.get(Infinity) ?? 0;
    return `${n.toLocaleString('en')} ${name} (${(n - (d.get(0.1) ?? 0)).toLocaleString('en')} over 100 ms, ${(n - (d.get(0.2) ?? 0)).toLocaleString('en')} over 200)`;
  };
  const stages = INGEST_STAGES
    .map((s) => { const d = delta(a, b, `stage:${s}`); return `${s} ${ms(bound(d, 50))}/${ms(bound(d, 99))}`; });
  return `flushes ${flush('statement', 'one statement')}, ${flush('transaction', 'a transaction')}; ` +
    `batch stages p50/p99 at most, ms: ${stages.join(', ')}`;
}
