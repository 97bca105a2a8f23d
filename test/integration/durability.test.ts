import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import { readings } from '../helpers/gateway.ts';
import { DisposablePg } from '../helpers/pg-server.ts';

// Ack after commit, proven by crashing PostgreSQL while a batch is being written.

let server: DisposablePg;
let tdb: TestDatabase;
let svc: RunningService;
let key: string;

beforeAll(async () => {
  server = new DisposablePg();
  await server.start();
  tdb = await createTestDatabase(server.adminUrl());
  svc = await startService(tdb.db, tdb.url, { INGEST_RETRY_AFTER_MS: '100', DB_CONNECT_TIMEOUT_MS: '500' });
  key = (await seedGateway(tdb.db)).key;
});
afterAll(async () => {
  await svc?.close();
  await tdb?.close();
  await server?.dispose();
});

async function storedCount(): Promise<number> {
  const c = new pg.Client({ connectionString: tdb.url });
  await c.connect();
  const n = Number((await c.query('SELECT count(*) AS n FROM readings')).rows[0].n);
  await c.end();
  return n;
}

async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check().catch(() => false))) await new Promise((r) => setTimeout(r, 100));
}

describe('PostgreSQL crashes mid-batch', () => {
  it('sends no ack for the batch in flight, answers unavailable, and stores every reading exactly once after recovery', async () => {
    const gw = await svc.gateway(key);
    const a = readings('CRASH-1', 0, 100);
    const b = readings('CRASH-1', 100, 100);
    const c = readings('CRASH-1', 200, 100);
    expect(await gw.batch('a', a)).toMatchObject({ type: 'ack', accepted: 100 });

    // Hold the table so batch b is inside its INSERT when the server dies. (Its
    // query text may still read 'begin': the lock is taken while parsing the INSERT.)
    const locker = new pg.Client({ connectionString: tdb.url });
    locker.on('error', () => {});
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE readings IN ACCESS EXCLUSIVE MODE');
    gw.sendRaw(JSON.stringify({ type: 'readings', id: 'b', readings: b }));
    await until(async () => {
      const r = await locker.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()",
      );
      return r.rows[0].n > 0;
    });
    await server.crash();

    const replyB = await gw.reply('b');
    expect(replyB).toMatchObject({ type: 'error', code: 'unavailable', retryAfterMs: 100 });
    expect(await gw.batch('c', c)).toMatchObject({ type: 'error', code: 'unavailable' });
    const ready = await fetch(`${svc.httpUrl}/health/ready`);
    expect(ready.status).toBe(503);
    const http = await fetch(`${svc.httpUrl}/v1/readings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ readings: c }),
    });
    expect(http.status).toBe(503);
    expect(http.headers.get('retry-after')).toBe('1');
    const idco = await fetch(`${svc.httpUrl}/v1/idco`, {
      method: 'POST',
      headers: { 'content-type': 'application/hl7-v2', authorization: `Bearer ${key}` },
      body: fs.readFileSync(new URL('../fixtures/idco/pacemaker-legacy-cr.hl7', import.meta.url)),
    });
    expect(idco.status).toBe(503);
    expect(await idco.text()).toMatch(/MSA\|AR\|MSG-0007/);

    // The same service process recovers by itself once the database is back.
    await server.start();
    await until(async () => (await fetch(`${svc.httpUrl}/health/ready`)).status === 200);
    const ackB = await gw.batch('b2', b);
    const ackC = await gw.batch('c2', c);
    expect(ackB).toMatchObject({ type: 'ack', accepted: 100, duplicates: 0 });
    expect(ackC).toMatchObject({ type: 'ack', accepted: 100, duplicates: 0 });
    expect(await storedCount()).toBe(300);

    // A gateway unsure of what landed resends everything: nothing changes.
    const again = await Promise.all([gw.batch('a3', a), gw.batch('b3', b), gw.batch('c3', c)]);
    for (const ack of again) expect(ack).toMatchObject({ accepted: 0, duplicates: 100, rejected: [] });
    expect(await storedCount()).toBe(300);
    gw.close();
    await locker.end().catch(() => {});
  });
});
