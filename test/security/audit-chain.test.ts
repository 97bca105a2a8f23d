import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { recordAudit } from '../../src/auth/audit.ts';
import { GENESIS, verifyAuditChain } from '../../src/admin/audit-verify.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedUser } from '../helpers/people.ts';

// The audit log's hash chain: someone with superuser rights can bypass the append-only
// triggers (session_replication_role = replica), but not without `audit verify` naming
// the first row that no longer fits. The test role here is a superuser, as such a person.

const run = promisify(execFile);
let tdb: TestDatabase;
let userId: number;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  userId = (await seedUser(tdb.db, 'admin')).id;
});
afterAll(async () => {
  await tdb?.drop();
});

/** Run SQL as a superuser with every trigger off (the append-only and chain triggers included). */
async function asSuperuserBypassingTriggers(text: string, values: unknown[] = []): Promise<void> {
  const c = new pg.Client({ connectionString: tdb.url });
  await c.connect();
  try {
    await c.query('SET session_replication_role = replica');
    await c.query(text, values);
  } finally {
    await c.end();
  }
}

/** A fresh log of `n` varied rows (the table is emptied with the triggers off). */
async function freshLog(n: number): Promise<number[]> {
  await asSuperuserBypassingTriggers('DELETE FROM audit_log');
  for (let i = 0; i < n; i++) {
    await recordAudit(tdb.db, {
      user: i % 3 === 0 ? null : { id: userId, role: 'admin' },
      action: `test.${i % 4}`,
      route: i % 2 ? '/v1/patients/:id' : undefined,
      patientId: i % 5 ? i : undefined,
      detail: i % 2 ? { n: i, note: 'naïve, "quoted", 1:2,3-' } : undefined,
    });
  }
  const rows = await tdb.db.selectFrom('audit_log').select('id').orderBy('id').execute();
  return rows.map((r) => r.id);
}

async function cli(): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/admin/cli.ts', 'audit', 'verify'], {
      env: { ...process.env, DATABASE_URL: tdb.url },
    });
    return { code: 0, stdout };
  } catch (e) {
    const err = e as { code: number; stdout: string };
    return { code: err.code, stdout: err.stdout };
  }
}

describe('the audit hash chain', () => {
  let ids: number[];
  beforeEach(async () => {
    ids = await freshLog(12);
  });

  it('links every row to the one before, from a zero genesis, and verifies', async () => {
    const rows = await tdb.db.selectFrom('audit_log').select(['id', 'prev_hash', 'hash']).orderBy('id').execute();
    expect(rows).toHaveLength(12);
    expect(rows[0]!.prev_hash.equals(GENESIS)).toBe(true);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prev_hash.equals(rows[i - 1]!.hash)).toBe(true);
    expect(await verifyAuditChain(tdb.db, 5)).toEqual({ ok: true, rows: 12, lastId: ids.at(-1), head: rows.at(-1)!.hash.toString('hex') });
  });

  it('ignores hashes the inserter supplies: the trigger computes them', async () => {
    await tdb.db.insertInto('audit_log').values({ action: 'forged', detail: '{}', ...({ prev_hash: Buffer.alloc(32, 1), hash: Buffer.alloc(32, 2) } as object) }).execute();
    expect(await verifyAuditChain(tdb.db)).toMatchObject({ ok: true, rows: 13 });
  });

  it('keeps the chain linear under concurrent writers', async () => {
    await Promise.all(Array.from({ length: 60 }, (_, i) => recordAudit(tdb.db, { user: null, action: 'concurrent', detail: { i } })));
    expect(await verifyAuditChain(tdb.db, 7)).toMatchObject({ ok: true, rows: 72 });
  });

  it('detects a row edited with the triggers disabled, at that row', async () => {
    await asSuperuserBypassingTriggers(`UPDATE audit_log SET detail = '{"n": 0}' WHERE id = $1`, [ids[5]]);
    expect(await verifyAuditChain(tdb.db, 4)).toEqual({ ok: false, rows: 5, id: ids[5], reason: expect.stringContaining('edited') });
    await asSuperuserBypassingTriggers(`UPDATE audit_log SET at = at + interval '1 microsecond' WHERE id = $1`, [ids[0]]);
    expect(await verifyAuditChain(tdb.db)).toMatchObject({ ok: false, id: ids[0] });
  });

  it('detects a deleted row, at the row after it', async () => {
    await asSuperuserBypassingTriggers('DELETE FROM audit_log WHERE id = $1', [ids[7]]);
    const report = await verifyAuditChain(tdb.db);
    expect(report).toEqual({ ok: false, rows: 7, id: ids[8], reason: expect.stringContaining(`row ${ids[6]}`) });
  });

  it('detects a deleted first row', async () => {
    await asSuperuserBypassingTriggers('DELETE FROM audit_log WHERE id = $1', [ids[0]]);
    expect(await verifyAuditChain(tdb.db)).toMatchObject({ ok: false, rows: 0, id: ids[1], reason: expect.stringContaining('chain start') });
  });

  it('detects a row inserted with the triggers disabled, at that row', async () => {
    const last = ids.at(-1)!;
    // The columns are NOT NULL, so the forger has to make something up.
    await asSuperuserBypassingTriggers(`INSERT INTO audit_log (id, action, prev_hash, hash) VALUES ($1, 'inserted', $2, $2)`, [last + 1000, Buffer.alloc(32, 7)]);
    expect(await verifyAuditChain(tdb.db)).toEqual({ ok: false, rows: 12, id: last + 1000, reason: expect.stringContaining('prev_hash') });
  });

  it('detects a row inserted with hashes copied from its neighbour, at that row', async () => {
    const last = ids.at(-1)!;
    await asSuperuserBypassingTriggers(
      `INSERT INTO audit_log (id, action, prev_hash, hash) SELECT $1, 'inserted', prev_hash, hash FROM audit_log WHERE id = $2`,
      [last + 1, last],
    );
    expect(await verifyAuditChain(tdb.db)).toMatchObject({ ok: false, rows: 12, id: last + 1, reason: expect.stringContaining('prev_hash') });
  });

  it('detects a row inserted in the middle that carries a correctly computed hash, at the row after it', async () => {
    const c = new pg.Client({ connectionString: tdb.url });
    await c.connect();
    try {
      await c.query('SET session_replication_role = replica');
      // A forger who recomputes the hash of a new row linked to row 3 ...
      const prev = (await c.query<{ hash: Buffer }>('SELECT hash FROM audit_log WHERE id = $1', [ids[3]])).rows[0]!.hash;
      await c.query('DELETE FROM audit_log WHERE id = $1', [ids[4]]);
      await c.query(`INSERT INTO audit_log (id, action, detail, prev_hash, hash)
        SELECT $1, 'forged', '{}', $2::bytea, audit_log_hash($2::bytea, ROW($1, now(), NULL, NULL, 'forged', NULL, NULL, NULL, '{}'::jsonb, NULL, NULL)::audit_log)`,
      [ids[4], prev]);
    } finally {
      await c.end();
    }
    // ... replaces row 4 with a row that fits behind row 3; row 5 still points at the old row 4.
    expect(await verifyAuditChain(tdb.db)).toMatchObject({ ok: false, rows: 5, id: ids[5], reason: expect.stringContaining(`row ${ids[4]}`) });
  });

  it('`npm run admin -- audit verify` reports OK with the row count, or the broken row with exit code 1', async () => {
    const ok = await cli();
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/audit log OK: 12 rows/);
    await asSuperuserBypassingTriggers(`UPDATE audit_log SET action = 'nothing to see' WHERE id = $1`, [ids[2]]);
    const broken = await cli();
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`BROKEN at row ${ids[2]}`);
    expect(broken.stdout).toContain('edited');
  });
});

describe('the append-only triggers stay in force with the chain', () => {
  it('still refuse UPDATE and DELETE from the service role (see also test/integration/people-guard.test.ts)', async () => {
    await recordAudit(tdb.db, { user: null, action: 'kept' });
    await expect(tdb.db.deleteFrom('audit_log').where('action', '=', 'kept').execute()).rejects.toThrow(/append-only/);
    await expect(tdb.db.updateTable('audit_log').set({ action: 'x' }).where('action', '=', 'kept').execute()).rejects.toThrow(/append-only/);
  });

  it('refuses an audit row written inside a REPEATABLE READ transaction, where the chain could fork', async () => {
    await expect(
      tdb.db.transaction().setIsolationLevel('repeatable read').execute((trx) => recordAudit(trx, { user: null, action: 'rr' })),
    ).rejects.toThrow(/READ COMMITTED/);
  });
});
