// npm run bench:ingest [-- --seconds 10 --gateways 8 --window 8 --rate-limit 0]
// Drives the real service over loopback WebSockets and prints durable readings/s and
// ack latency beside the raw PostgreSQL ceiling for the same rows, in the same run.
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createGateway, createSite } from '../src/admin/commands.ts';
import { benchDatabase, startBenchService } from './lib.ts';
import { phase, phaseTable, type PhaseResult } from './drive.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    gateways: { type: 'string', default: '8' },
    window: { type: 'string', default: '8' },
    devices: { type: 'string', default: '50' },
    // Readings/s per gateway (GATEWAY_RATE_LIMIT, burst twice that); 0 measures without the budget.
    'rate-limit': { type: 'string', default: '0' },
  },
});
const SECONDS = Number(values.seconds);
const GATEWAYS = Number(values.gateways);
const WINDOW = Number(values.window);
const DEVICES = Number(values.devices);
const RATE_LIMIT = Number(values['rate-limit']);
const T0 = Date.UTC(2026, 0, 1);
const load = { seconds: SECONDS, window: WINDOW, devices: DEVICES, prefix: 'B' };

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

  const limit: Record<string, string> = RATE_LIMIT > 0 ? { GATEWAY_RATE_LIMIT: String(RATE_LIMIT), GATEWAY_RATE_BURST: String(2 * RATE_LIMIT) } : { GATEWAY_RATE_LIMIT: '0' };
  const svc = await startBenchService(database.url, limit);
  const budget = RATE_LIMIT > 0 ? `a budget of ${RATE_LIMIT.toLocaleString('en')} readings/s a gateway` : 'no gateway budget';
  console.log(`ingest benchmark: ${GATEWAYS} gateways x ${WINDOW} batches in flight, ${SECONDS} s a phase, ${budget}, ${database.where}, service pid ${svc.child.pid}`);
  const seqs = keys.map(() => new Array<number>(DEVICES).fill(0));
  const results: PhaseResult[] = [];
  try {
    for (const batch of [1, 10, 100]) {
      const r = await phase(svc.port, keys, batch, load, seqs);
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

  console.log(`\n${phaseTable(results.map((r) => ({ label: String(r.batch), r })), 'batch')}`);
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
