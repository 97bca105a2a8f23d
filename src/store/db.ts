import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Database } from './schema.ts';

export type Db = Kysely<Database>;

// bigint (int8) stays a string by default; our int8 values are seqs <= 2^53-1,
// so they are exact as numbers. COUNT(*) is int8 too.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export interface DbOptions {
  readonly url: string;
  readonly poolSize: number;
  readonly statementTimeoutMs: number;
  readonly connectTimeoutMs: number;
}

export interface DbHandle {
  readonly db: Db;
  readonly pool: pg.Pool;
  close(): Promise<void>;
}

export function createDb(opts: DbOptions, log: Logger): DbHandle {
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize,
    connectionTimeoutMillis: opts.connectTimeoutMs,
    statement_timeout: opts.statementTimeoutMs,
    // A half-open TCP connection to a dead server must not hang a flush forever.
    query_timeout: opts.statementTimeoutMs + 5000,
    keepAlive: true,
    application_name: 'cardiac-telemetry',
  });
  // Without these listeners an idle client's error (PostgreSQL restarting)
  // is an unhandled 'error' event and kills the process. After close() the pool's
  // connections may still be saying goodbye when an embedded server stops: quiet.
  let closed = false;
  const warn = (what: string) => (err: Error) => {
    if (!closed) log.warn({ err }, what);
  };
  pool.on('error', warn('idle database connection lost'));
  pool.on('connect', (client) => client.on('error', warn('database connection error')));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    pool,
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}

/** One round trip to the database (readiness). */
export async function ping(db: Db): Promise<void> {
  await sql`SELECT 1`.execute(db);
}
