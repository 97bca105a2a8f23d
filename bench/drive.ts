// Load for the benchmarks: gateways over loopback WebSockets, each keeping a window of
// batches in flight until a deadline, timing every ack.
import WebSocket from 'ws';
import { percentile, serviceRssMiB } from './lib.ts';

// Metrics whose valid range holds every value sent (70..76), so every reading is accepted.
const METRICS = ['thoracic_impedance', 'heart_rate', 'activity', 'night_heart_rate', 'hrv_sdaam'];
const T0 = Date.UTC(2026, 0, 1);

export interface Load {
  readonly seconds: number;
  readonly window: number;
  readonly devices: number;
  /** Device serials are `${prefix}${gateway}-${n}`: phases on one database use their own. */
  readonly prefix: string;
}

export interface PhaseResult {
  batch: number;
  readings: number;
  seconds: number;
  perSec: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  rssMiB: number;
}

/** One gateway: keeps `window` batches in flight until the deadline. */
async function driveGateway(url: string, key: string, g: number, batch: number, deadline: number, load: Load, latencies: number[], seqs: number[]) {
  const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${key}` }, perMessageDeflate: false });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const sentAt = new Map<string, number>();
  let n = 0;
  let acked = 0;
  let errors = 0;
  // Frames are built as strings: the gateway's cost is not what is measured.
  const send = () => {
    const parts = new Array<string>(batch);
    for (let i = 0; i < batch; i++) {
      const d = (n * batch + i) % load.devices;
      const seq = seqs[d]!++;
      parts[i] = `{"device":"${load.prefix}${g}-${d}","seq":${seq},"at":"${new Date(T0 + seq * 60_000).toISOString()}","metric":"${METRICS[seq % METRICS.length]}","value":${70 + (seq % 7)}}`;
    }
    const id = `${g}-${n++}`;
    sentAt.set(id, performance.now());
    ws.send(`{"type":"readings","id":"${id}","readings":[${parts.join(',')}]}`);
  };
  return new Promise<{ acked: number; errors: number }>((resolve) => {
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as { type: string; id: string; accepted?: number };
      const t = sentAt.get(m.id);
      sentAt.delete(m.id);
      if (m.type === 'ack' && t !== undefined) {
        latencies.push(performance.now() - t);
        acked += m.accepted ?? 0;
      } else errors++;
      if (performance.now() < deadline) send();
      else if (sentAt.size === 0) {
        ws.close();
        resolve({ acked, errors });
      }
    });
    for (let i = 0; i < load.window; i++) send();
  });
}

/** Every gateway at once with batches of `batch`, for `load.seconds`. `seqs[g][d]` carries on across phases. */
export async function phase(port: number, keys: readonly string[], batch: number, load: Load, seqs: number[][]): Promise<PhaseResult> {
  const latencies: number[] = [];
  const start = performance.now();
  const deadline = start + load.seconds * 1000;
  const url = `ws://127.0.0.1:${port}/v1/ingest`;
  const results = await Promise.all(keys.map((k, g) => driveGateway(url, k, g, batch, deadline, load, latencies, seqs[g]!)));
  const seconds = (performance.now() - start) / 1000;
  const readings = results.reduce((s, r) => s + r.acked, 0);
  const sorted = Float64Array.from(latencies).sort();
  return {
    batch,
    readings,
    seconds,
    perSec: readings / seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? NaN,
    errors: results.reduce((s, r) => s + r.errors, 0),
    rssMiB: await serviceRssMiB(port),
  };
}

const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');

/** A markdown table of phases; `label` names each row. */
export function phaseTable(rows: ReadonlyArray<{ label: string; r: PhaseResult }>, labelTitle: string): string {
  const lines = [
    `| ${labelTitle} | readings acked | readings/s | ack p50 ms | ack p99 ms | ack max ms | errors | service RSS MiB |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const { label, r } of rows) {
    lines.push(`| ${label} | ${r.readings.toLocaleString('en')} | ${Math.round(r.perSec).toLocaleString('en')} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.max)} | ${r.errors} | ${fmt(r.rssMiB)} |`);
  }
  return lines.join('\n');
}
