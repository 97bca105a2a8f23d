import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { verifyAuditChain } from '../../src/admin/audit-verify.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import { seedUser, signIn } from '../helpers/people.ts';

// Every read of patient data leaves exactly one audit row naming who, what and which
// route; a refused read (another site's patient) leaves none that discloses data.
// That the service's own role cannot rewrite the rows is test/integration/people-guard.test.ts
// ("the audit log") and audit-chain.test.ts here.

let tdb: TestDatabase;
let svc: RunningService;
let clinician: { id: number; cookie: string };
let analyst: { id: number; cookie: string };
let patientRef: string;
let patientId: number;
let alertRef: string;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  svc = await startService(tdb.db, tdb.url, { EXPORT_KEY: 'FG6PK5mShLle7GiICQ3yQ5giaRXGz3ci-OCOw7Xk88M' });
  const gw = await seedGateway(tdb.db, 'alpha');
  const socket = await svc.gateway(gw.key);
  await socket.batch('a', [{ device: 'AUD-1', seq: 1, at: '2026-01-02T02:00:00Z', metric: 'vt_episodes', value: 1 }]);
  socket.close();
  const admin = await seedUser(tdb.db, 'admin');
  const adminCookie = await signIn(svc.httpUrl, admin.email);
  const headers = { cookie: adminCookie, origin: svc.httpUrl, 'content-type': 'application/json' };
  const created = await fetch(`${svc.httpUrl}/v1/patients`, {
    method: 'POST', headers, body: JSON.stringify({ site: 'alpha', familyName: 'Audit', givenName: 'Ann', dateOfBirth: '1950-02-03' }),
  });
  patientRef = ((await created.json()) as { patient: { id: string } }).patient.id;
  patientId = Number(patientRef.replace('p-', ''));
  expect((await fetch(`${svc.httpUrl}/v1/patients/${patientRef}/devices`, { method: 'POST', headers, body: JSON.stringify({ serial: 'AUD-1' }) })).status).toBe(200);
  const c = await seedUser(tdb.db, 'clinician', ['alpha']);
  clinician = { id: c.id, cookie: await signIn(svc.httpUrl, c.email) };
  const a = await seedUser(tdb.db, 'analyst', ['alpha']);
  analyst = { id: a.id, cookie: await signIn(svc.httpUrl, a.email) };
  const alerts = (await (await fetch(`${svc.httpUrl}/v1/alerts`, { headers: { cookie: adminCookie } })).json()) as { alerts: Array<{ id: string }> };
  alertRef = alerts.alerts[0]!.id;
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

async function rowsAfter(id: number, userId: number) {
  return tdb.db.selectFrom('audit_log').select(['id', 'user_id', 'role', 'action', 'route', 'patient_id', 'device_id'])
    .where('id', '>', id).where('user_id', '=', userId).orderBy('id').execute();
}
const lastId = async () => (await tdb.db.selectFrom('audit_log').select((eb) => eb.fn.max('id').as('m')).executeTakeFirstOrThrow()).m ?? 0;

/** Poll until `n` rows exist after `since` (some rows are written after the response). */
async function settle(since: number, userId: number, n: number) {
  for (let i = 0; i < 50; i++) {
    const rows = await rowsAfter(since, userId);
    if (rows.length >= n) {
      await new Promise((r) => setTimeout(r, 100)); // and no more arrive
      return rowsAfter(since, userId);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return rowsAfter(since, userId);
}

describe('every read of patient data leaves exactly one audit row', () => {
  it.each([
    ['GET /v1/patients/:id', (): string => `/v1/patients/${patientRef}`, 'patient.read', '/v1/patients/:id', true],
    ['GET /v1/patients/:id/readings', (): string => `/v1/patients/${patientRef}/readings?from=2025-12-01&to=2026-02-01`, 'patient.readings', '/v1/patients/:id/readings', true],
    ['GET /v1/patients', (): string => '/v1/patients', 'patient.list', '/v1/patients', false],
    ['GET /v1/alerts', (): string => '/v1/alerts', 'alert.list', '/v1/alerts', false],
    ['GET /v1/alerts/:id/history', (): string => `/v1/alerts/${alertRef}/history`, 'alert.history', '/v1/alerts/:id/history', false],
    ['GET /v1/patients/:id/engine-settings', (): string => `/v1/patients/${patientRef}/engine-settings`, 'engine_settings.read', '/v1/patients/:id/engine-settings', true],
    ['GET /v1/patients/:id/heart-failure', (): string => `/v1/patients/${patientRef}/heart-failure`, 'patient.heart_failure', '/v1/patients/:id/heart-failure', true],
    ['GET /v1/patients/:id/episodes', (): string => `/v1/patients/${patientRef}/episodes`, 'patient.episodes', '/v1/patients/:id/episodes', true],
    ['GET /v1/patients/:id/transmissions', (): string => `/v1/patients/${patientRef}/transmissions`, 'patient.transmissions', '/v1/patients/:id/transmissions', true],
    ['GET /v1/patients/:id/notes', (): string => `/v1/patients/${patientRef}/notes`, 'patient.notes.read', '/v1/patients/:id/notes', true],
    ['GET /v1/worklists/overdue', (): string => '/v1/worklists/overdue', 'worklist.overdue.read', '/v1/worklists/overdue', false],
    ['GET /v1/worklists/assigned', (): string => '/v1/worklists/assigned', 'worklist.assigned.read', '/v1/worklists/assigned', false],
    ['GET /v1/reports/outcomes', (): string => '/v1/reports/outcomes', 'alert.outcome_report', '/v1/reports/outcomes', false],
  ] as const)('%s', async (_name, path, action, route, namesPatient) => {
    const since = await lastId();
    const res = await fetch(`${svc.httpUrl}${path()}`, { headers: { cookie: clinician.cookie } });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    const rows = await settle(since, clinician.id, 1);
    expect(rows).toEqual([expect.objectContaining({ role: 'clinician', action, route })]);
    if (namesPatient) expect(rows[0]!.patient_id).toBe(patientId);
    if (action === 'alert.history') expect(rows[0]!.device_id).toEqual(expect.any(Number));
  });

  it('the live alert stream: one row per connection', async () => {
    const since = await lastId();
    const ws = new WebSocket(`${svc.httpUrl.replace('http', 'ws')}/v1/alerts/stream`, { headers: { cookie: clinician.cookie, origin: svc.httpUrl } });
    const first = await new Promise<{ type: string }>((resolve, reject) => {
      ws.once('message', (d) => resolve(JSON.parse(d.toString()) as { type: string }));
      ws.once('error', reject);
    });
    expect(first.type).toBe('snapshot');
    ws.close();
    expect(await settle(since, clinician.id, 1)).toEqual([expect.objectContaining({ action: 'alert.stream', route: '/v1/alerts/stream' })]);
  });

  it('the de-identified export: one row when it starts and one with its outcome, nothing else', async () => {
    const since = await lastId();
    const res = await fetch(`${svc.httpUrl}/v1/exports/timeline?format=ndjson`, { headers: { cookie: analyst.cookie } });
    expect(res.status).toBe(200);
    await res.text();
    const rows = await settle(since, analyst.id, 2);
    expect(rows.map((r) => r.action)).toEqual(['export.timeline.start', 'export.timeline']);
  });

  it('a refused read of another site\'s patient reads nothing and records no patient', async () => {
    await seedGateway(tdb.db, 'beta');
    const outsider = await seedUser(tdb.db, 'clinician', ['beta']);
    const cookie = await signIn(svc.httpUrl, outsider.email);
    const since = await lastId();
    expect((await fetch(`${svc.httpUrl}/v1/patients/${patientRef}`, { headers: { cookie } })).status).toBe(404);
    const rows = await settle(since, outsider.id, 0);
    expect(rows.filter((r) => r.patient_id !== null)).toEqual([]);
  });

  it('leaves the chain intact after all of it', async () => {
    expect(await verifyAuditChain(tdb.db)).toMatchObject({ ok: true });
  });
});
