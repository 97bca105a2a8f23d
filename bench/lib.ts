import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { startEmbedded } from '../src/store/embedded.ts';
import { freePort, startServiceProcess, type ServiceProcess } from '../test/helpers/process.ts';

// Shared plumbing of the benchmarks: a database, the service as a child process.

/** A fresh database on DATABASE_URL's server, or on a throwaway embedded one. */
export async function benchDatabase(): Promise<{ url: string; dispose(): Promise<void>; where: string }> {
  let adminUrl = process.env.DATABASE_URL;
  let stop = async () => {};
  let where = 'DATABASE_URL';
  if (!adminUrl) {
    const dir = fs.mkdtempSync('/var/tmp/telemetry-bench-');
    fs.chmodSync(dir, 0o755);
    const server = await startEmbedded(path.join(dir, 'pg'), await freePort(), pino({ level: 'warn' }));
    adminUrl = server.url('postgres');
    where = 'embedded PostgreSQL';
    stop = async () => {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    };
  }
  const name = `bench_${Date.now()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const version = (await admin.query('SHOW server_version')).rows[0].server_version as string;
  await admin.end();
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    where: `${where}, PostgreSQL ${version}`,
    async dispose() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
      await stop();
    },
  };
}

/** The service as a child process over the given database (optionally CPU-profiled). */
export function startBenchService(databaseUrl: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
  const dir = process.env.BENCH_CPU_PROFILE;
  return startServiceProcess({ DATABASE_URL: databaseUrl, ...env }, dir ? ['--cpu-prof', '--cpu-prof-dir', dir] : []);
}

/** The service's resident memory, from its own /metrics. */
export async function serviceRssMiB(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = /^process_resident_memory_bytes (\d+(\.\d+)?(e\+\d+)?)/m.exec(text);
  return m ? Number(m[1]) / 2 ** 20 : NaN;
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
