// npm run bench:engine [-- --patients 300 --days 365 --seed 7 --e2e-seconds 15]
// 1. The anomaly engine alone: processReading over a simulated cohort's readings, with every
//    reading materialised before the clock starts so generation and parsing are not measured.
// 2. End to end, in the same run: the service ingesting batches of 100 over WebSockets with
//    scoring (ENGINE_SCORING=on) next to the same load without it (off).
import { sql } from 'kysely';
import { createGateway, createSite } from '../src/admin/commands.ts';
import { benchDatabase, startBenchService } from './lib.ts';
import { phase, phaseTable, type PhaseResult } from './drive.ts';
import { DEFAULT_CONFIG, newDeviceState, processReading, type DeviceState, type EngineReading } from '../src/engine/index.ts';
import { createCohort } from '../simulators/index.ts';
import { UsageError, parseCohortArgs } from '../simulators/evaluate/args.ts';
import { median } from '../simulators/evaluate/stats.ts';
import { readingsByDevice } from '../simulators/evaluate/run.ts';

const PASSES = 3;
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

// --e2e-seconds is ours; the rest are the cohort's.
const argv = process.argv.slice(2);
const e2eAt = argv.indexOf('--e2e-seconds');
const E2E_SECONDS = e2eAt >= 0 ? Number(argv.splice(e2eAt, 2)[1]) : 15;
let args;
try {
  if (!(E2E_SECONDS > 0)) throw new UsageError('--e2e-seconds must be a positive number');
  args = parseCohortArgs(argv, { patients: 300, days: 365, seed: '7' });
} catch (e) {
  if (!(e instanceof UsageError)) throw e;
  process.stderr.write(`bench:engine: ${e.message}\nUsage: npm run bench:engine -- [--patients N] [--days N] [--seed S] [--e2e-seconds N]\n`);
  process.exit(2);
}

const cohort = createCohort({ patients: args.patients, days: args.days, seed: args.seed });
const byDevice = readingsByDevice(cohort);
// Interleaved by event time across devices, as the service sees them, each device still in seq
// order (seq follows event time per device, and the sort is stable).
const devices = [...byDevice.keys()];
const stream: { device: number; reading: EngineReading }[] = [];
devices.forEach((d, i) => {
  for (const reading of byDevice.get(d) ?? []) stream.push({ device: i, reading });
});
stream.sort((a, b) => a.reading.at - b.reading.at);
byDevice.clear();

/** One pass over the whole stream with fresh device states; returns ns per reading. */
function pass(): { nsPerReading: number; decisions: number } {
  const states: DeviceState[] = devices.map(() => newDeviceState());
  let decisions = 0;
  const t0 = process.hrtime.bigint();
  for (const { device, reading } of stream) {
    decisions += processReading(states[device] as DeviceState, reading, DEFAULT_CONFIG).decisions.length;
  }
  const ns = Number(process.hrtime.bigint() - t0);
  return { nsPerReading: ns / stream.length, decisions };
}

async function endToEnd(): Promise<void> {
  const database = await benchDatabase();
  await createSite(database.db, 'bench', 'Benchmark site');
  const keys: string[] = [];
  for (let g = 0; g < 8; g++) keys.push((await createGateway(database.db, 'bench', `bench-${g}`)).key);
  const rows: Array<{ label: string; r: PhaseResult }> = [];
  try {
    for (const scoring of ['off', 'on'] as const) {
      process.stderr.write(`bench:engine: end to end, scoring ${scoring}, ${E2E_SECONDS} s\n`);
      const svc = await startBenchService(database.url, { GATEWAY_RATE_LIMIT: '0', ENGINE_SCORING: scoring });
      try {
        const load = { seconds: E2E_SECONDS, window: 8, devices: 50, prefix: `S${scoring}-` };
        const seqs = keys.map(() => new Array<number>(load.devices).fill(0));
        rows.push({ label: scoring === 'on' ? 'ingest + scoring + storage' : 'ingest + storage, no scoring', r: await phase(svc.port, keys, 100, load, seqs) });
      } finally {
        await svc.stop();
      }
    }
    const counts = await sql<{ scored: number; unscored: number; alerts: number }>`
      SELECT count(*) FILTER (WHERE score IS NOT NULL)::int AS scored, count(*) FILTER (WHERE score IS NULL)::int AS unscored,
             (SELECT count(*)::int FROM alerts) AS alerts
      FROM readings`.execute(database.db);
    const c = counts.rows[0]!;
    console.log('');
    console.log(`End to end: 8 gateways × 8 batches of 100 in flight, ${E2E_SECONDS} s each, ${database.where}`);
    console.log(phaseTable(rows, 'path'));
    const [off, on] = rows.map((x) => x.r.perSec);
    console.log(`scoring keeps ${((100 * on!) / off!).toFixed(0)} % of unscored throughput; stored readings: ${c.scored.toLocaleString('en')} scored, ${c.unscored.toLocaleString('en')} unscored (the off phase); alerts raised: ${c.alerts}`);
  } finally {
    await database.dispose();
  }
}

process.stderr.write(`bench:engine: ${stream.length} readings of ${devices.length} devices materialised; warming up\n`);
const warm = pass();
const runs: number[] = [];
for (let i = 0; i < PASSES; i++) runs.push(pass().nsPerReading);
const heap = process.memoryUsage();

console.log(`Engine alone: processReading, ${args.patients} patients × ${args.days} days, seed ${args.seed}`);
console.log(`readings:          ${stream.length} (${devices.length} devices, interleaved by event time, seq order per device)`);
console.log(`decisions/pass:    ${warm.decisions}`);
console.log(`ns/reading median: ${median(runs).toFixed(0)}  (passes: ${runs.map((r) => r.toFixed(0)).join(', ')}; 1 warm-up pass untimed)`);
console.log(`heap used:         ${mib(heap.heapUsed)} (of ${mib(heap.heapTotal)} heap, ${mib(heap.rss)} RSS; includes the materialised readings)`);
console.log(`node ${process.version}, ${process.arch}`);
stream.length = 0;

endToEnd().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
