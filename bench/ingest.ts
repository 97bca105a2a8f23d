// npm run bench:ingest [-- --seconds 10 --gateways 8 --window 8 --rate-limit 0]
// npm run bench:ingest -- --profile realistic [--seconds 20 --gateways 2000 --devices 3 --window 1 --statements]
//   (bench/realistic/main.ts: a year of simulated devices behind 2,000 gateways)
// Drives the real service over loopback WebSockets and prints durable readings/s and
// ack latency beside the raw PostgreSQL ceiling for the same rows, in the same run.
import { parseArgs } from 'node:util';
import { createGateway, createSite } from '../src/admin/commands.ts';
import { benchDatabase, startBenchService } from './lib.ts';
import { phase, phaseTable, type PhaseResult } from './drive.ts';
import { rawCeiling } from './ceiling.ts';
import { runRealistic } from './realistic/main.ts';

const { values } = parseArgs({
  options: {
    profile: { type: 'string', default: 'default' },
    seconds: { type: 'string' },
    gateways: { type: 'string' },
    window: { type: 'string' },
    devices: { type: 'string' },
    // Readings/s per gateway (GATEWAY_RATE_LIMIT, burst twice that); 0 measures without the budget.
    'rate-limit': { type: 'string', default: '0' },
    // Realistic profile: PostgreSQL's time by statement (pg_stat_statements).
    statements: { type: 'boolean', default: false },
  },
});
if (values.profile !== 'default' && values.profile !== 'realistic') {
  console.error(`bench:ingest: --profile must be default or realistic, got ${values.profile}`);
  process.exit(2);
}
const SECONDS = Number(values.seconds ?? '10');
const GATEWAYS = Number(values.gateways ?? '8');
const WINDOW = Number(values.window ?? '8');
const DEVICES = Number(values.devices ?? '50');
const RATE_LIMIT = Number(values['rate-limit']);
const load = { seconds: SECONDS, window: WINDOW, devices: DEVICES, prefix: 'B' };

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

const run = values.profile === 'realistic'
  ? () => runRealistic({
    seconds: Number(values.seconds ?? '20'),
    gateways: Number(values.gateways ?? '2000'),
    window: Number(values.window ?? '1'),
    devices: Number(values.devices ?? '3'),
    statements: values.statements,
  })
  : main;
run().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
