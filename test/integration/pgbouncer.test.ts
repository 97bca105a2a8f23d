import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import pino from 'pino';
import { sql } from 'kysely';
import { createDb } from '../../src/store/db.ts';
import { MIGRATIONS_DIR, migrateToLatest, pendingMigrations } from '../../src/store/migrate.ts';
import { startPgBouncer, type PgBouncer } from '../helpers/topology.ts';

// The service's pool through PgBouncer in transaction pooling (deploy/pgbouncer/pgbouncer.ini):
// it logs in although node-pg asks for a statement timeout at connect, gets that timeout on
// every server connection, and migrates through it: the migration lock lasts one transaction,
// never a session PgBouncer would hand to another client with the lock still held.

const adminUrl = inject('pgAdminUrl');
const name = `t_${process.pid}_pgb_${Math.random().toString(36).slice(2, 8)}`;
const directUrl = (() => {
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
})();
let bouncer: PgBouncer;

async function admin<T>(fn: (c: pg.Client) => Promise<T>, url = adminUrl): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  bouncer = await startPgBouncer(adminUrl);
});
afterAll(async () => {
  await bouncer?.stop();
  await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
});

const open = (url: string) => createDb({ url, poolSize: 4, statementTimeoutMs: 15_000, connectTimeoutMs: 3000 }, pino({ level: 'silent' }));

describe('PgBouncer in transaction pooling', () => {
  it('takes the pool\'s logins and gives each server connection the statement timeout', async () => {
    const h = open(bouncer.through(directUrl));
    try {
      const { rows } = await sql<{ statement_timeout: string }>`SHOW statement_timeout`.execute(h.db);
      expect(rows[0]!.statement_timeout).toBe('15s');
    } finally {
      await h.close();
    }
  });

  it('migrates through it, three processes at once: every migration once, no lock left behind', async () => {
    const pools = [0, 1, 2].map(() => open(bouncer.through(directUrl)));
    // Other clients' short transactions meanwhile, as the other instances' would be: the
    // server connection a statement leaves is soon another client's.
    const busy = open(bouncer.through(directUrl));
    let migrating = true;
    const load = Promise.all([0, 1, 2, 3].map(async () => {
      while (migrating) await sql`SELECT pg_sleep(0.002)`.execute(busy.db);
    }));
    try {
      const applied = await Promise.all(pools.map((p) => migrateToLatest(p.db))).finally(() => (migrating = false));
      await load;
      const files = fs.readdirSync(MIGRATIONS_DIR).filter((f) => /\.(ts|js|mjs)$/.test(f) && !f.endsWith('.d.ts'));
      // One of them applied everything; the others, waiting for the lock, found nothing to do.
      expect(applied.map((a) => a.length).sort((a, b) => b - a)).toEqual([files.length, 0, 0]);
      expect(await pendingMigrations(pools[0]!.db)).toEqual([]);
      // Again, as every admin command does at start: nothing to do, and it does not wait.
      expect(await Promise.all(pools.map((p) => migrateToLatest(p.db)))).toEqual([[], [], []]);
    } finally {
      migrating = false;
      await load.catch(() => {});
      await Promise.all([...pools, busy].map((p) => p.close()));
    }
    // No session holds the migration lock (kysely's Migrator alone would leave it with one of
    // PgBouncer's server connections, for the next migration to wait on).
    const held = await admin((c) => c.query(
      "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    ), directUrl);
    expect(held.rows[0].n).toBe(0);
  });
});
