// npm run bench:ingest [-- --seconds 10 --gateways 8 --window 8]
// Drives the real service over loopback WebSockets and prints durable readings/s and
// ack latency beside the raw PostgreSQL ceiling for the same rows, in the same run.
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import pg from 'pg';
import { createGateway, createSite } from '../src/admin/commands.ts';
import { benchDatabase, percentile, serviceRssMiB, startBenchService } from './lib.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    gateways: { type: 'string', default: '8' },
    window: { type: 'string', default: '8' },
    devices: { type: 'string', default: '50' },
  },
});
const SECONDS = Number(values.seconds);
const GATEWAYS = Number(values.gateways);
const WINDOW = Number(values.window);
const DEVICES = Number(values.devices);
// Metrics whose valid range holds every value sent (70..76), so every reading is accepted.
const METRICS = ['thoracic_impedance', 'heart_rate', 'activity', 'night_heart_rate', 'hrv_sdaam'];
const T0 = Date.UTC(2026, 0, 1);

interface PhaseResult {
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

/** One gateway: keeps WINDOW batches in flight until the deadline. */
async function driveGateway(url: string, key: string, g: number, batch: number, deadline: number, latencies: number[], seqs: number[]) {
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
      const d = (n * batch + i) % DEVICES;
      const seq = seqs[d]!++;
      parts[i] = `{"device":"B${g}-${d}","seq":${seq},"at":"${new Date(T0 + seq * 60_000).toISOString()}","metric":"${METRICS[seq % METRICS.length]}","value":${70 + (seq % 7)}}`;
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
    for (let i = 0; i < WINDOW; i++) send();
  });
}

async function phase(port: number, keys: string[], batch: number, seqs: number[][]): Promise<PhaseResult> {
  const latencies: number[] = [];
  const start = performance.now();
  const deadline = start + SECONDS * 1000;
  const results = await Promise.all(keys.map((k, g) => driveGateway(`ws://127.0.0.1:${port}/v1/ingest`, k, g, batch, deadline, latencies, seqs[g]!)));
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

/**
 * The ceiling: one process inserting the same kind of rows with the statement the
 * service's fast path uses (unnest, `per` rows a statement, autocommit), and
 * nothing else to do.
 */
async function rawCeiling(url: string, total: number, per: number): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query('CREATE TABLE raw_readings (LIKE readings INCLUDING ALL)');
  const start = performance.now();
  for (let done = 0; done < total; done += per) {
    const n = Math.min(per, total - done);
    const dev: number[] = [], seq: number[] = [], at: number[] = [], met: number[] = [], val: number[] = [], gw: number[] = [];
    for (let i = 0; i < n; i++) {
      const s = done + i;
      dev.push(1 + (s % 400)); seq.push(s); at.push(T0 + s * 60_000); met.push(1 + (s % 5)); val.push(70 + (s % 7)); gw.push(1);
    }
    await c.query(
      `INSERT INTO raw_readings (device_id, seq, at, metric, value, gateway_id)
       SELECT d, s, to_timestamp(a / 1000), m, v, g
       FROM unnest($1::int4[], $2::int8[], $3::float8[], $4::int2[], $5::float8[], $6::int4[]) AS t(d, s, a, m, v, g)`,
      [dev, seq, at, met, val, gw],
    );
  }
  const perSec = total / ((performance.now() - start) / 1000);
  await c.query('DROP TABLE raw_readings');
  await c.end();
  return perSec;
}

async function main() {
  const database = await benchDatabase();
  const h = database;
  await createSite(h.db, 'bench', 'Benchmark site');
  const keys: string[] = [];
  for (let g = 0; g < GATEWAYS; g++) keys.push((await createGateway(h.db, 'bench', `bench-${g}`)).key);
  await h.close();

  const svc = await startBenchService(database.url, { GATEWAY_RATE_LIMIT: '0' });
  console.log(`ingest benchmark: ${GATEWAYS} gateways x ${WINDOW} batches in flight, ${SECONDS} s a phase, ${database.where}, service pid ${svc.child.pid}`);
  const seqs = keys.map(() => new Array<number>(DEVICES).fill(0));
  const results: PhaseResult[] = [];
  try {
    for (const batch of [1, 10, 100]) {
      const r = await phase(svc.port, keys, batch, seqs);
      results.push(r);
      console.log(`  batch ${String(batch).padStart(3)}: ${Math.round(r.perSec).toLocaleString('en')} readings/s`);
    }
  } finally {
    await svc.stop();
  }
  const rows = Math.max(200_000, results.at(-1)!.readings);
  const ceilings = [1000, 2000].map((per) => ({ per, rate: 0 }));
  for (const c of ceilings) c.rate = await rawCeiling(database.url, rows, c.per);
  const ceiling = Math.max(...ceilings.map((c) => c.rate));
  await database.dispose();

  const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');
  console.log('\n| batch | readings acked | readings/s | ack p50 ms | ack p99 ms | ack max ms | errors | service RSS MiB |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    console.log(`| ${r.batch} | ${r.readings.toLocaleString('en')} | ${Math.round(r.perSec).toLocaleString('en')} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.max)} | ${r.errors} | ${fmt(r.rssMiB)} |`);
  }
  const best = results.at(-1)!;
  console.log(`\nraw PostgreSQL ceiling, one process inserting ${rows.toLocaleString('en')} rows with unnest, autocommit:`);
  for (const c of ceilings) console.log(`  ${c.per.toLocaleString('en')} rows a statement: ${Math.round(c.rate).toLocaleString('en')} rows/s`);
  console.log(`service with batches of 100: ${(100 * best.perSec / ceiling).toFixed(0)} % of the higher ceiling`);
  const mem = process.memoryUsage();
  console.log(`benchmark process: RSS ${(mem.rss / 2 ** 20).toFixed(0)} MiB`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
