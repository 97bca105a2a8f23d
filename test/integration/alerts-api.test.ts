import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import type { Reading } from '../helpers/gateway.ts';
import { seedUser, signIn } from '../helpers/people.ts';

// GET /v1/alerts and /v1/alerts/:id/history: the contract's alert object, the caller's
// sites only, filters, pagination, bad input, and one audit row per read.

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1, 2);
let tdb: TestDatabase;
let svc: RunningService;
let clinicianA: string;
let clinicianB: string;
let admin: string;
let analyst: string;

function vt(device: string, day: number, seq: number, value = 1): Reading {
  return { device, seq, at: new Date(T0 + day * DAY).toISOString(), metric: 'vt_episodes', value };
}

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  svc = await startService(tdb.db, tdb.url);
  const gwA = await seedGateway(tdb.db, 'alpha');
  const gwB = await seedGateway(tdb.db, 'beta');
  for (const [key, prefix] of [[gwA.key, 'A'], [gwB.key, 'B']] as const) {
    const gw = await svc.gateway(key);
    // Three devices per site: a VT, a shock, a low battery.
    await gw.batch('x', [
      vt(`${prefix}-1`, 1, 1), vt(`${prefix}-1`, 2, 2, 3),
      { device: `${prefix}-2`, seq: 1, at: new Date(T0 + DAY).toISOString(), metric: 'shocks_delivered', value: 1 },
      { device: `${prefix}-3`, seq: 1, at: new Date(T0 + DAY).toISOString(), metric: 'battery_status', value: 3 },
    ]);
    gw.close();
  }
  clinicianA = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'clinician', ['alpha'])).email);
  clinicianB = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'clinician', ['beta'])).email);
  admin = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'admin')).email);
  analyst = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'analyst', ['alpha'])).email);
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

async function get(path: string, cookie?: string) {
  const res = await fetch(`${svc.httpUrl}${path}`, { headers: cookie ? { cookie } : {} });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { alerts?: Array<Record<string, unknown>> } };
}

const auditRows = async () => Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_log WHERE action LIKE 'alert.%'`.execute(tdb.db)).rows[0]!.n);

describe('GET /v1/alerts', () => {
  it('returns the contract alert object, only for the caller’s sites', async () => {
    const { status, body } = await get('/v1/alerts', clinicianA);
    expect(status).toBe(200);
    expect(body.alerts!.map((a) => a.device).sort()).toEqual(['A-1', 'A-2', 'A-3']);
    const a = body.alerts!.find((x) => x.device === 'A-1')!;
    expect(a).toEqual({
      id: expect.stringMatching(/^a-\d{6,}$/), patientId: null, device: 'A-1', site: 'alpha',
      kind: 'ventricular_arrhythmia', priority: 'high', status: 'open',
      openedAt: new Date(T0 + DAY).toISOString(), lastSeenAt: new Date(T0 + 2 * DAY).toISOString(),
      raisedAt: expect.any(String), occurrences: 2,
      trigger: { seq: 1, metric: 'vt_episodes', value: 1, at: new Date(T0 + DAY).toISOString() },
      score: 1, summary: expect.stringContaining('VT'), evidence: expect.any(Object),
      assignee: null, snoozedUntil: null, escalationLevel: 0, resolution: null, outcome: null,
    });
    expect(Date.parse(a.raisedAt as string)).toBeGreaterThan(T0);
    expect((await get('/v1/alerts', clinicianB)).body.alerts!.map((x) => x.site)).toEqual(['beta', 'beta', 'beta']);
    expect((await get('/v1/alerts', admin)).body.alerts).toHaveLength(6);
  });

  it('filters by status, priority and kind, and pages with after and limit', async () => {
    const high = await get('/v1/alerts?priority=high', clinicianA);
    expect(high.body.alerts!.map((a) => a.kind).sort()).toEqual(['shock_delivered', 'ventricular_arrhythmia']);
    const battery = await get('/v1/alerts?kind=battery,af_burden&status=open', clinicianA);
    expect(battery.body.alerts!.map((a) => a.device)).toEqual(['A-3']);
    expect((await get('/v1/alerts?status=resolved', clinicianA)).body.alerts).toEqual([]);

    const first = await get('/v1/alerts?limit=2', admin);
    expect(first.body.alerts).toHaveLength(2);
    expect(first.body.next).toBe(first.body.alerts![1]!.id);
    const rest = await get(`/v1/alerts?limit=5&after=${String(first.body.next)}`, admin);
    expect(rest.body.alerts).toHaveLength(4);
    expect(rest.body.next).toBeNull();
    const ids = [...first.body.alerts!, ...rest.body.alerts!].map((a) => a.id);
    expect(new Set(ids).size).toBe(6);

    // Newest first pages backwards.
    const newest = await get('/v1/alerts?order=newest&limit=4', admin);
    expect(newest.body.alerts!.map((a) => a.id)).toEqual([...ids].reverse().slice(0, 4));
    const older = await get(`/v1/alerts?order=newest&limit=4&after=${String(newest.body.next)}`, admin);
    expect(older.body.alerts!.map((a) => a.id)).toEqual([...ids].reverse().slice(4));
  });

  it('refuses bad filters with a clear message', async () => {
    for (const q of ['status=closed', 'priority=urgent', 'kind=vt', 'limit=0', 'limit=5000', 'limit=ten', 'after=x-1', 'colour=red', 'status=open&status=resolved', 'order=random', 'order=newest,oldest']) {
      const { status, body } = await get(`/v1/alerts?${q}`, clinicianA);
      expect(status, q).toBe(400);
      expect(body.code, q).toBe('bad_message');
      expect(String(body.message).length, q).toBeGreaterThan(10);
    }
  });

  it('answers 401 without a session, 403 for an analyst', async () => {
    expect((await get('/v1/alerts')).status).toBe(401);
    expect((await get('/v1/alerts', 'session=forged')).status).toBe(401);
    expect((await get('/v1/alerts', analyst)).status).toBe(403);
  });

  it('audits every read with one row, without identifiers', async () => {
    const before = await auditRows();
    await get('/v1/alerts', clinicianA);
    expect(await auditRows()).toBe(before + 1);
    const row = await sql<{ detail: { devices: number[] } }>`SELECT detail FROM audit_log ORDER BY id DESC LIMIT 1`.execute(tdb.db);
    expect(JSON.stringify(row.rows[0]!.detail)).not.toMatch(/A-\d/);
    expect(row.rows[0]!.detail.devices).toHaveLength(3);
  });
});

describe('GET /v1/alerts/:id/history', () => {
  it('lists every change with its time; another site’s alert is not found', async () => {
    const a = (await get('/v1/alerts?kind=ventricular_arrhythmia', clinicianA)).body.alerts![0]!;
    const { status, body } = await get(`/v1/alerts/${String(a.id)}/history`, clinicianA);
    expect(status).toBe(200);
    expect(body.alert).toBe(a.id);
    const history = body.history as Array<Record<string, unknown>>;
    expect(history.map((h) => h.type)).toEqual(['opened', 'updated']);
    expect(history[1]).toMatchObject({ actor: null, occurrences: 2, priority: 'high' });
    expect((history[1]!.cursor as number)).toBeGreaterThan(history[0]!.cursor as number);

    expect((await get(`/v1/alerts/${String(a.id)}/history`, clinicianB)).status).toBe(404);
    expect((await get('/v1/alerts/a-999999/history', clinicianA)).status).toBe(404);
    expect((await get('/v1/alerts/%27%20OR%201=1/history', clinicianA)).status).toBe(404);
    expect((await get(`/v1/alerts/${String(a.id)}/history`)).status).toBe(401);
  });
});
