import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import pino from 'pino';
import { startEmbedded } from '../src/store/embedded.ts';
import { freePort, startServiceProcess, type ServiceProcess, type ServiceProcessOptions } from '../test/helpers/process.ts';
import { createTestDatabase, type TestDatabase } from '../test/helpers/db.ts';
import { scrapeService, sumOf } from './metrics-text.ts';

// Shared plumbing of the benchmarks: a database, the service as a child process.

/**
 * A fresh, migrated database on DATABASE_URL's server, or on a throwaway embedded one
 * (started with `settings`; DATABASE_URL's server keeps its own).
 */
export async function benchDatabase(settings: Readonly<Record<string, string>> = {}): Promise<TestDatabase & { where: string; dispose(): Promise<void> }> {
  let adminUrl = process.env.DATABASE_URL;
  let stop = async () => {};
  let where = 'DATABASE_URL';
  if (!adminUrl) {
    const dir = fs.mkdtempSync('/var/tmp/telemetry-bench-');
    fs.chmodSync(dir, 0o755);
    const server = await startEmbedded(path.join(dir, 'pg'), await freePort(), pino({ level: 'warn' }), settings);
    adminUrl = server.url('postgres');
    where = 'embedded PostgreSQL';
    stop = async () => {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    };
  }
  const database = await createTestDatabase(adminUrl);
  const version = (await sql<{ server_version: string }>`SHOW server_version`.execute(database.db)).rows[0]!.server_version;
  return {
    ...database,
    where: `${where}, PostgreSQL ${version}`,
    async dispose() {
      await database.drop();
      await stop();
    },
  };
}

/** The service as a child process over the given database (optionally CPU-profiled). */
export function startBenchService(
  databaseUrl: string,
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
  options: ServiceProcessOptions = {},
): Promise<ServiceProcess> {
  const dir = process.env.BENCH_CPU_PROFILE;
  return startServiceProcess({ DATABASE_URL: databaseUrl, ...env }, [...nodeArgs, ...(dir ? ['--cpu-prof', '--cpu-prof-dir', dir] : [])], undefined, options);
}

/** The service's resident memory, from its own /metrics. */
export async function serviceRssMiB(port: number): Promise<number> {
  return (await serviceGauges(port)).rssMiB;
}

/**
 * The service's resident memory and its event loop's delay since the previous scrape of
 * /metrics (prom-client resets the delay histogram at every scrape: scrape once to start).
 */
export async function serviceGauges(port: number): Promise<{ rssMiB: number; loopP99Ms: number; loopMaxMs: number }> {
  const samples = await scrapeService(port);
  return {
    rssMiB: sumOf(samples, 'process_resident_memory_bytes') / 2 ** 20,
    loopP99Ms: sumOf(samples, 'nodejs_eventloop_lag_p99_seconds') * 1000,
    loopMaxMs: sumOf(samples, 'nodejs_eventloop_lag_max_seconds') * 1000,
  };
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** The bench's one site (`bench`, id 1) and one gateway (id 1), straight into a bench database. */
export async function benchSiteAndGateway(db: TestDatabase['db']): Promise<void> {
  await sql`INSERT INTO sites (code, name) VALUES ('bench', 'Bench')`.execute(db);
  await sql`INSERT INTO gateways (site_id, name, key_hash, key_prefix) VALUES (1, 'bench', '\\x00', 'x')`.execute(db);
}
