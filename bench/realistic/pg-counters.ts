// What PostgreSQL itself did during a phase, from its cumulative statistics views: checkpoints
// (and whether the WAL's size asked for them), WAL written, buffers the client backends had to
// write out themselves, autovacuum and autoanalyze runs, transactions committed in the
// database. Read before and after each phase; and the server's CPU time, when it is local.
import fs from 'node:fs';
import pg from 'pg';
import { procStat } from './proc-stat.ts';

export interface PgCounters {
  checkpointsTimed: number;
  checkpointsRequested: number;
  /** Time the checkpointer spent writing and syncing, ms. */
  checkpointMs: number;
  walBytes: number;
  /** Shared buffers written by client backends (evictions of dirty pages), when the server reports them. */
  backendWrites: number;
  autovacuums: number;
  autoanalyzes: number;
  /** Transactions committed in the bench's database (each autocommit statement is one). */
  commits: number;
}

export class PgStats {
  private constructor(private readonly client: pg.Client, private readonly version: number, private readonly postmaster: number | null) {}

  static async open(url: string): Promise<PgStats> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query<{ v: string; pid: number }>("SELECT current_setting('server_version_num') AS v, pg_backend_pid() AS pid");
    // The server is on this machine when its backend's pid is ours to read: its parent is the postmaster.
    const postmaster = procStat(rows[0]!.pid)?.ppid ?? null;
    return new PgStats(client, Number(rows[0]!.v), postmaster);
  }

  /**
   * CPU time of the server (the postmaster and every process it started: backends, WAL
   * writer, checkpointer...), ms, those that ended included (the postmaster waits for them);
   * NaN when it is not on this machine.
   */
  serverCpuMs(): number {
    if (this.postmaster === null) return NaN;
    const own = procStat(this.postmaster);
    let ms = own ? own.cpuMs + own.reapedMs : 0;
    for (const name of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      const s = procStat(Number(name));
      if (s?.ppid === this.postmaster) ms += s.cpuMs;
    }
    return ms;
  }

  async read(): Promise<PgCounters> {
    const one = async (text: string) => (await this.client.query<Record<string, string | null>>(text)).rows[0]!;
    // pg_stat_checkpointer from 17; before, the checkpointer's counters are in pg_stat_bgwriter.
    const cp = this.version >= 170000
      ? await one('SELECT num_timed AS timed, num_requested AS requested, write_time + sync_time AS ms FROM pg_stat_checkpointer')
      : await one('SELECT checkpoints_timed AS timed, checkpoints_req AS requested, checkpoint_write_time + checkpoint_sync_time AS ms FROM pg_stat_bgwriter');
    // pg_stat_io from 16; before, pg_stat_bgwriter.buffers_backend.
    const bw = this.version >= 160000
      ? await one("SELECT coalesce(sum(writes), 0) AS n FROM pg_stat_io WHERE backend_type = 'client backend'")
      : await one('SELECT buffers_backend AS n FROM pg_stat_bgwriter');
    const wal = await one('SELECT wal_bytes AS b FROM pg_stat_wal');
    const tx = await one('SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()');
    const av = await one('SELECT coalesce(sum(autovacuum_count), 0) AS v, coalesce(sum(autoanalyze_count), 0) AS a FROM pg_stat_all_tables');
    return {
      checkpointsTimed: Number(cp.timed), checkpointsRequested: Number(cp.requested), checkpointMs: Number(cp.ms),
      walBytes: Number(wal.b), backendWrites: Number(bw.n), autovacuums: Number(av.v), autoanalyzes: Number(av.a),
      commits: Number(tx.n),
    };
  }

  /** Statistics are flushed by each backend now and then: ask the server for fresh ones first. */
  async snapshot(): Promise<PgCounters> {
    await this.client.query('SELECT pg_stat_clear_snapshot()');
    return this.read();
  }

  close(): Promise<void> {
    return this.client.end();
  }
}

export function diff(a: PgCounters, b: PgCounters): PgCounters {
  const out = { ...b };
  for (const k of Object.keys(a) as (keyof PgCounters)[]) out[k] = b[k] - a[k];
  return out;
}

export function describe(d: PgCounters): string {
  return `checkpoints ${d.checkpointsTimed} timed + ${d.checkpointsRequested} requested (${(d.checkpointMs / 1000).toFixed(1)} s writing), ` +
    `WAL ${(d.walBytes / 2 ** 20).toFixed(0)} MiB, ${d.backendWrites.toLocaleString('en')} buffers written by client backends, ` +
    `autovacuum ${d.autovacuums}, autoanalyze ${d.autoanalyzes}, ${d.commits.toLocaleString('en')} transactions committed`;
}
