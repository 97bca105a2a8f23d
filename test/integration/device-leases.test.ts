import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import type { Reading } from '../helpers/gateway.ts';
import { DEFAULT_CONFIG, newDeviceState, processReading } from '../../src/engine/index.ts';

// Two instances on one database: each device is scored by exactly one of them at a time
// (src/scoring/leases.ts). A gateway's batches for one device going through either instance,
// in turn, give the scores and alerts of one uninterrupted run of the pure engine; a write
// from a state loaded under a lease that has since moved is refused, never stored.

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1, 2);
let tdb: TestDatabase;
let a: RunningService;
let b: RunningService;
let key: string;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  const env = { ENGINE_LEASE_WAIT_MS: '1500', ENGINE_LEASE_TTL_MS: '2000' };
  a = await startService(tdb.db, tdb.url, env);
  b = await startService(tdb.db, tdb.url, env);
  key = (await seedGateway(tdb.db)).key;
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await tdb?.drop();
});

/** Two readings a night: lead impedance and VT episodes (VT on the given nights). */
function nights(device: string, days: number, vtNights: readonly number[]): Reading[] {
  const out: Reading[] = [];
  for (let d = 0; d < days; d++) {
    const at = new Date(T0 + d * DAY).toISOString();
    out.push({ device, seq: d * 2, at, metric: 'rv_lead_impedance', value: 520 + (d % 3) });
    out.push({ device, seq: d * 2 + 1, at, metric: 'vt_episodes', value: vtNights.includes(d) ? 1 : 0 });
  }
  return out;
}

function expectedScores(stream: readonly Reading[]): number[] {
  const state = newDeviceState();
  return stream.map((r) => Math.round(processReading(state, { ...r, at: Date.parse(r.at) }, DEFAULT_CONFIG).score * 1000) / 1000);
}

async function post(svc: RunningService, rs: readonly Reading[]): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${svc.httpUrl}/v1/readings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ readings: rs }),
  });
  const body = (await res.json()) as Record<string, unknown>;
  // The answer comes once the readings commit; their alerts are applied after.
  await svc.app.alertApplier.settle();
  return { status: res.status, body };
}

async function storedScores(serial: string): Promise<Array<number | null>> {
  const res = await sql<{ score: number | null }>`
    SELECT r.score FROM readings r JOIN devices d ON d.id = r.device_id WHERE d.serial = ${serial} ORDER BY r.seq`.execute(tdb.db);
  return res.rows.map((r) => r.score);
}

async function alertsOf(serial: string) {
  const res = await sql<{ kind: string; occurrences: number }>`
    SELECT a.kind, a.occurrences FROM alerts a JOIN devices d ON d.id = a.device_id WHERE d.serial = ${serial} ORDER BY a.kind`.execute(tdb.db);
  return res.rows;
}

async function lease(serial: string) {
  const res = await sql<{ instance_id: string | null; fence: string }>`
    SELECT l.instance_id, l.fence FROM device_leases l JOIN devices d ON d.id = l.device_id WHERE d.serial = ${serial}`.execute(tdb.db);
  return res.rows[0];
}

function expectScores(got: Array<number | null>, expected: number[]): void {
  expect(got).toHaveLength(expected.length);
  got.forEach((s, i) => expect(s, `seq ${i}`).toBeCloseTo(expected[i]!, 6));
}

describe('device leases across two instances', () => {
  it('moves a device between live instances batch by batch and scores every reading once, in order', async () => {
    const stream = nights('LEASE-1', 40, [5, 24, 31]);
    const holders = new Set<string | null>();
    for (let i = 0; i < stream.length; i += 4) {
      const res = await post(i % 8 === 0 ? a : b, stream.slice(i, i + 4));
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({ accepted: 4, duplicates: 0, rejected: [] });
      holders.add((await lease('LEASE-1'))!.instance_id);
    }
    // Both instances held it in turn; it was handed over at every batch.
    expect(holders.size).toBe(2);
    expect(Number((await lease('LEASE-1'))!.fence)).toBeGreaterThanOrEqual(stream.length / 4);
    expectScores(await storedScores('LEASE-1'), expectedScores(stream));
    expect(await alertsOf('LEASE-1')).toEqual([{ kind: 'ventricular_arrhythmia', occurrences: 3 }]);
    const pending = await sql<{ n: number }>`SELECT count(*)::int AS n FROM engine_pending`.execute(tdb.db);
    expect(pending.rows[0]!.n).toBe(0);
  });

  it('refuses a write from a state whose lease moved, and stores the batch once the device is taken back', async () => {
    const stream = nights('LEASE-2', 20, [12]);
    expect((await post(a, stream.slice(0, 20))).status).toBe(200);
    // Another instance (a row standing for one that answers nothing) takes the device behind A's back.
    const other = randomUUID();
    await sql`INSERT INTO service_instances (id, expires_at) VALUES (${other}::uuid, clock_timestamp() + interval '1 hour')`.execute(tdb.db);
    await sql`UPDATE device_leases SET instance_id = ${other}::uuid, fence = fence + 1
              WHERE device_id = (SELECT id FROM devices WHERE serial = 'LEASE-2')`.execute(tdb.db);
    // A still holds the state in memory and scores from it: the write is refused, nothing stored.
    const refused = await post(a, stream.slice(20, 30));
    expect(refused.status).toBe(503);
    expect(await storedScores('LEASE-2')).toHaveLength(20);
    // The holder is alive and does not hand over: refused again after the wait.
    const waited = await post(a, stream.slice(20, 30));
    expect(waited.status).toBe(503);
    expect(waited.body).toMatchObject({ code: 'unavailable' });
    // It dies (its row lapses): A declares it dead, takes the device, loads it from the database.
    await sql`UPDATE service_instances SET expires_at = clock_timestamp() - interval '1 second' WHERE id = ${other}::uuid`.execute(tdb.db);
    expect((await post(a, stream.slice(20, 30))).status).toBe(200);
    expect((await post(b, stream.slice(30))).status).toBe(200);
    expectScores(await storedScores('LEASE-2'), expectedScores(stream));
    expect(await alertsOf('LEASE-2')).toEqual([{ kind: 'ventricular_arrhythmia', occurrences: 1 }]);
    const gone = await sql<{ n: number }>`SELECT count(*)::int AS n FROM service_instances WHERE id = ${other}::uuid`.execute(tdb.db);
    expect(gone.rows[0]!.n).toBe(0);
  });

  it('releases every lease and its own row when an instance stops, so the other takes over at once', async () => {
    const c = await startService(tdb.db, tdb.url, { ENGINE_LEASE_WAIT_MS: '1000' });
    const stream = nights('LEASE-3', 10, []);
    expect((await post(c, stream.slice(0, 10))).status).toBe(200);
    const held = (await lease('LEASE-3'))!.instance_id;
    await c.close();
    const row = await sql<{ n: number }>`SELECT count(*)::int AS n FROM service_instances WHERE id = ${held}::uuid`.execute(tdb.db);
    expect(row.rows[0]!.n).toBe(0);
    expect((await lease('LEASE-3'))!.instance_id).toBeNull();
    expect((await post(b, stream.slice(10))).status).toBe(200);
    expectScores(await storedScores('LEASE-3'), expectedScores(stream));
  });
});
