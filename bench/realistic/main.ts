// npm run bench:ingest -- --profile realistic [--seconds 20 --gateways 2000 --devices 3 --window 1]
// Gateways relaying a few devices each, every device replaying a simulated year night by night
// (with late flushes and resends), against the service with scoring on (its default):
//   1. capacity: each gateway keeps `window` batches in flight, nightly batches;
//   2. the same traffic paced at 70 % of (1)'s batches/s;
//   3. capacity with batches of 100 readings; 4. paced at 70 % of (3).
// Then the raw PostgreSQL ceiling on the same server, as the default profile prints it.
// --statements: and PostgreSQL's time over the timed phases, statement by statement.
import pg from 'pg';
import { createGateway, createSite } from '../../src/admin/commands.ts';
import { rawCeiling } from '../ceiling.ts';
import { benchDatabase, startBenchService } from '../lib.ts';
import { Fleet, SLICE_S, type Pace, type RealisticResult, type Shape } from './drive.ts';
import { PgStats, describe, diff } from './pg-counters.ts';
import { describeService, readHistograms } from './service-metrics.ts';
import { scrapeService, sumOf } from '../metrics-text.ts';
import { Workload } from './workload.ts';
import { describeStall } from './stall-watch.ts';
import { resetStatements, statementsReport, STATEMENT_SETTINGS } from './statements.ts';

export interface RealisticOptions {
  readonly seconds: number;
  readonly gateways: number;
  readonly window: number;
  readonly devices: number;
  /** Print pg_stat_statements' view of the timed phases. */
  readonly statements?: boolean;
}

const PACED_SHARE = 0.7;
const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const int = (n: number) => Math.round(n).toLocaleString('en');

/** A phase's figures and the database server's CPU time over it (NaN when the server is elsewhere). */
type Phase = RealisticResult & { readonly pgCpuMs: number };

function table(rows: readonly Phase[]): string {
  const lines = [
    '| phase | batches | batches/s | readings/s scored | readings/batch | ack p50 ms | ack p99 ms | ack max ms | duplicates | errors | missed | service CPU ms/batch | service CPU µs/reading | bench CPU ms/batch | PostgreSQL CPU ms/batch | service RSS MiB | event loop delay p99 / max ms | bench event loop delay p99 / max ms | bench longest GC pause ms |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    lines.push(`| ${r.label} | ${int(r.batches)} | ${int(r.batchesPerSec)} | ${int(r.accepted / r.seconds)} | ${fmt(r.readings / r.batches)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.max)} | ${int(r.duplicates)} | ${r.errors} | ${r.missed} | ${fmt(r.serviceCpuMs / r.batches, 3)} | ${fmt((1000 * r.serviceCpuMs) / r.readings, 1)} | ${fmt(r.benchCpuMs / r.batches, 3)} | ${fmt(r.pgCpuMs / r.batches, 3)} | ${fmt(r.rssMiB)} | ${fmt(r.loopP99Ms)} / ${fmt(r.loopMaxMs)} | ${fmt(r.benchLoopP99Ms)} / ${fmt(r.benchLoopMaxMs)} | ${fmt(r.benchGcMaxMs)} |`);
  }
  return lines.join('\n');
}

/** Sums of some of the service's own counters over the run: flushes, the engine's decisions, alerts, GC. */
async function serviceCounters(port: number): Promise<string> {
  const samples = await scrapeService(port);
  const sum = (name: string, labels?: Record<string, string>) => sumOf(samples, name, labels);
  const gcPauses = sum('nodejs_gc_duration_seconds_count');
  return [
    `flushes ${int(sum('telemetry_commit_seconds_count'))}`,
    `engine decisions ${int(sum('telemetry_engine_decisions_total'))}`,
    `late readings ${int(sum('telemetry_engine_readings_total', { outcome: 'late' }))}`,
    `alerts opened ${int(sum('telemetry_alerts_opened_total'))}`,
    // Garbage collection pauses of the service (prom-client's histogram, over the whole run).
    `GC ${int(gcPauses)} pauses, ${fmt(sum('nodejs_gc_duration_seconds_sum'), 2)} s, ` +
      `${int(gcPauses - sum('nodejs_gc_duration_seconds_bucket', { le: '0.1' }))} over 100 ms`,
  ].join(', ');
}

async function storedReadings(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const { rows } = await c.query<{ n: string }>('SELECT count(*) AS n FROM readings');
  await c.end();
  return Number(rows[0]!.n);
}

export async function runRealistic(o: RealisticOptions): Promise<void> {
  const database = await benchDatabase(o.statements ? STATEMENT_SETTINGS : {});
  await createSite(database.db, 'bench', 'Benchmark site');
  const keys: string[] = [];
  for (let g = 0; g < o.gateways; g++) keys.push((await createGateway(database.db, 'bench', `bench-${g}`)).key);
  await database.close();

  const t0 = performance.now();
  const workload = new Workload({
    gateways: o.gateways, devicesPerGateway: o.devices, templates: Math.min(150, o.gateways * o.devices),
    lateShare: 0.03, resendShare: 0.01, seed: '7',
  });
  console.log(`realistic ingest benchmark: ${int(o.gateways)} gateways x ${o.devices} devices (${int(workload.devices)}), window ${o.window}, ${o.seconds} s a phase, ${database.where}`);
  console.log(`  a year of 150 simulated patients (calibrated profile), ${int(workload.templateReadings)} readings, ${workload.nightSizes.min}–${workload.nightSizes.max} a transmission, built in ${fmt((performance.now() - t0) / 1000)} s`);

  const svc = await startBenchService(database.url, { GATEWAY_RATE_LIMIT: '0' });
  const pid = svc.child.pid!;
  const fleet = new Fleet(workload);
  const results: Phase[] = [];
  let warmAccepted = 0;
  let warmDuplicates = 0;
  const pgStats = await PgStats.open(database.url);
  try {
    const t1 = performance.now();
    await fleet.open(svc.port, keys);
    console.log(`  ${int(o.gateways)} sockets open in ${fmt((performance.now() - t1) / 1000)} s (service pid ${pid})`);
    // Every device's first night, untimed: a device's first reading registers it and creates its state.
    for (let d = 0; d < o.devices; d++) {
      const w = await fleet.phase('warm-up', pid, svc.port, 0, { kind: 'nightly' }, { kind: 'capacity', window: 1 });
      warmAccepted += w.accepted;
      warmDuplicates += w.duplicates;
    }
    const run = async (label: string, shape: Shape, pace: Pace) => {
      const before = await pgStats.snapshot();
      const histograms = await readHistograms(svc.port);
      const pgCpu0 = pgStats.serverCpuMs();
      const r = { ...(await fleet.phase(label, pid, svc.port, o.seconds, shape, pace)), pgCpuMs: pgStats.serverCpuMs() - pgCpu0 };
      results.push(r);
      console.log(`  ${label}: ${int(r.batchesPerSec)} batches/s, ${int(r.accepted / r.seconds)} readings/s, ack p50 ${fmt(r.p50)} p99 ${fmt(r.p99)} ms` +
        ` (p99 by ${SLICE_S} s sent: ${r.sliceP99.map((v) => fmt(v, 0)).join(' / ')})`);
      console.log(`    PostgreSQL: ${describe(diff(before, await pgStats.snapshot()))}, CPU ${fmt(r.pgCpuMs / 1000)} s (the service ${fmt(r.serviceCpuMs / 1000)} s, the bench ${fmt(r.benchCpuMs / 1000)} s)`);
      console.log(`    service: ${describeService(histograms, await readHistograms(svc.port))}`);
      console.log(`    ${describeStall(r.benchStall)}`);
      return r;
    };
    const statementsMissing = o.statements ? await resetStatements(database.url) : null;
    // CLOCK_MONOTONIC µs, the clock of V8's profiles: `bench/cpu-profile-top.ts --from --to` keeps these phases only.
    const from = process.hrtime.bigint() / 1000n;
    const nightly = await run('nightly, capacity', { kind: 'nightly' }, { kind: 'capacity', window: o.window });
    await run('nightly, 70 % paced', { kind: 'nightly' }, { kind: 'paced', batchesPerSec: PACED_SHARE * nightly.batchesPerSec });
    const packed = await run('batches of 100, capacity', { kind: 'packed', size: 100 }, { kind: 'capacity', window: o.window });
    await run('batches of 100, 70 % paced', { kind: 'packed', size: 100 }, { kind: 'paced', batchesPerSec: PACED_SHARE * packed.batchesPerSec });
    console.log(`  service counters over the run: ${await serviceCounters(svc.port)}`);
    if (o.statements) console.log(`\nPostgreSQL's time over the timed phases, by statement:\n${statementsMissing ?? await statementsReport(database.url)}\n`);
    console.log(`  timed phases: --from ${from} --to ${process.hrtime.bigint() / 1000n} (monotonic µs)`);
  } finally {
    await pgStats.close();
    fleet.close();
    await svc.stop();
  }
  const stored = await storedReadings(database.url);
  const accepted = warmAccepted + results.reduce((s, r) => s + r.accepted, 0);
  const duplicates = warmDuplicates + results.reduce((s, r) => s + r.duplicates, 0);
  const rows = Math.max(200_000, Math.min(1_000_000, results.reduce((s, r) => s + r.readings, 0)));
  const ceilings = [1000, 2000].map((per) => ({ per, rate: 0 }));
  for (const c of ceilings) c.rate = await rawCeiling(database.url, rows, c.per);
  await database.dispose();

  const s = workload.stats;
  console.log(`\n${table(results)}`);
  console.log(`\nlate flushes ${int(s.lateFlushes)}; resends ${int(s.resends)} (${int(s.resentReadings)} readings) and the simulator's repeated nights (${int(s.simDuplicateReadings)} readings): ${int(duplicates)} duplicates acked (a repeat cut across two batches of 100 is counted once only)`);
  console.log(`stored ${int(stored)} readings, acked as accepted ${int(accepted)}: ${stored === accepted ? 'nothing stored twice' : 'MISMATCH'}`);
  console.log(`raw PostgreSQL ceiling, one process inserting ${int(rows)} rows with unnest, autocommit:`);
  const meanNight = results[0] ? results[0].readings / results[0].batches : NaN;
  for (const c of ceilings) console.log(`  ${int(c.per)} rows a statement: ${int(c.rate)} rows/s (${int(c.rate / meanNight)} nightly batches/s at ${fmt(meanNight)} readings each)`);
  const best = Math.max(...ceilings.map((c) => c.rate));
  for (const r of results) console.log(`  ${r.label}: ${fmt((100 * r.readingsPerSec) / best, 0)} % of the higher ceiling`);
  console.log(`benchmark process: RSS ${fmt(process.memoryUsage().rss / 2 ** 20, 0)} MiB`);
}
