import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import type { Reading } from '../helpers/gateway.ts';
import { seedUser, signIn } from '../helpers/people.ts';
import { enrolDevice } from '../../src/patients/service.ts';
import { testVault } from '../helpers/keys.ts';

// Wrong patient: a device's readings and alerts are shown and exported as its patient's,
// all of them. Enrolling a device that was ever someone else's would quietly move that
// history, so it is refused unless the admin says the earlier enrolment was a mistake.

const DAY = 86_400_000;
let tdb: TestDatabase;
let svc: RunningService;
let admin: string;
let clinician: string;

async function call(method: string, path: string, cookie: string, body?: unknown) {
  const headers: Record<string, string> = { cookie, origin: svc.httpUrl };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${svc.httpUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: res.status, body: (text ? JSON.parse(text) : null) as Record<string, any> };
}

async function newPatient(givenName: string): Promise<string> {
  const res = await call('POST', '/v1/patients', admin, { site: 'north', familyName: 'Test', givenName, dateOfBirth: '1948-05-06' });
  expect(res.status).toBe(201);
  return res.body.patient.id as string;
}

const history = async (serial: string) =>
  (await sql<{ patient_id: number; ended: boolean; correction: boolean }>`
    SELECT h.patient_id, h.ended_at IS NOT NULL AS ended, h.correction FROM enrolment_history h
    JOIN devices d ON d.id = h.device_id WHERE d.serial = ${serial} ORDER BY h.id`.execute(tdb.db)).rows;
const internal = (ref: string) => Number(ref.slice(2));

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  svc = await startService(tdb.db, tdb.url);
  const gw = await svc.gateway((await seedGateway(tdb.db, 'north')).key);
  const t0 = Math.floor(Date.now() / DAY) * DAY - 10 * DAY;
  const rs: Reading[] = [];
  for (let d = 0; d < 10; d++) rs.push({ device: 'N-1', seq: d, at: new Date(t0 + d * DAY).toISOString(), metric: 'vt_episodes', value: d === 9 ? 1 : 0 });
  for (let d = 0; d < 3; d++) rs.push({ device: 'N-2', seq: d, at: new Date(t0 + d * DAY).toISOString(), metric: 'activity', value: 100 });
  await gw.batch('b', rs);
  gw.close();
  admin = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'admin')).email);
  clinician = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'clinician', ['north'])).email);
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

describe('enrolling a device that belonged to someone else', () => {
  it('is refused with the earlier patient named, and changes nothing', async () => {
    const first = await newPatient('First');
    const second = await newPatient('Second');
    expect((await call('POST', `/v1/patients/${first}/devices`, admin, { serial: 'N-1' })).status).toBe(200);
    expect((await call('DELETE', `/v1/patients/${first}/devices/N-1`, admin)).status).toBe(204);

    const refused = await call('POST', `/v1/patients/${second}/devices`, admin, { serial: 'N-1' });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('conflict');
    expect(refused.body.message).toContain(first);
    expect(refused.body.message).toContain('correction');
    expect((await call('GET', `/v1/patients/${second}`, clinician)).body.patient.devices).toEqual([]);
    expect((await call('GET', `/v1/alerts?patient=${second}`, clinician)).body.alerts).toEqual([]);
    expect(await history('N-1')).toEqual([{ patient_id: internal(first), ended: true, correction: false }]);

    // The same patient again needs no correction: the history stays theirs.
    expect((await call('POST', `/v1/patients/${first}/devices`, admin, { serial: 'N-1' })).status).toBe(200);
    expect(await history('N-1')).toEqual([
      { patient_id: internal(first), ended: true, correction: false },
      { patient_id: internal(first), ended: false, correction: false },
    ]);
  });

  it('as a declared correction moves the history, and the audit names the earlier patient', async () => {
    const wrong = await newPatient('Wrong');
    const right = await newPatient('Right');
    expect((await call('POST', `/v1/patients/${wrong}/devices`, admin, { serial: 'N-2' })).status).toBe(200);
    expect((await call('DELETE', `/v1/patients/${wrong}/devices/N-2`, admin)).status).toBe(204);

    const moved = await call('POST', `/v1/patients/${right}/devices`, admin, { serial: 'N-2', correction: true });
    expect(moved.status).toBe(200);
    expect(moved.body.patient.devices).toEqual(['N-2']);
    expect(await history('N-2')).toEqual([
      { patient_id: internal(wrong), ended: true, correction: false },
      { patient_id: internal(right), ended: false, correction: true },
    ]);
    const audit = await sql<{ action: string; patient_id: number; detail: unknown }>`
      SELECT action, patient_id, detail FROM audit_log WHERE action LIKE 'patient.enrol%' AND patient_id = ${internal(right)}`.execute(tdb.db);
    expect(audit.rows).toEqual([{ action: 'patient.enrol.correction', patient_id: internal(right), detail: { previousPatientIds: [internal(wrong)] } }]);
    // The readings now show as the right patient's.
    const page = await call('GET', `/v1/patients/${right}/readings`, clinician);
    expect(page.status).toBe(200);
    expect(page.body.series.activity.points).toHaveLength(3);
    expect((await call('GET', `/v1/patients/${wrong}/readings`, clinician)).body.series).toEqual({});
  });

  it('refuses a correction flag that is not a boolean, and one device enrolled to two patients at once', async () => {
    const p = await newPatient('Flag');
    for (const correction of ['yes', 1, null, { on: true }]) {
      const res = await call('POST', `/v1/patients/${p}/devices`, admin, { serial: 'N-2', correction });
      expect([res.status, res.body.code], JSON.stringify(correction)).toEqual([400, 'bad_message']);
    }
    // Two admins enrol one new device to two patients at the same moment: one wins.
    const a = await newPatient('RaceA');
    const b = await newPatient('RaceB');
    const site = (await tdb.db.selectFrom('sites').select('id').where('code', '=', 'north').executeTakeFirstOrThrow()).id;
    const results = await Promise.allSettled([
      enrolDevice(tdb.db, await testVault(tdb.db), { id: internal(a), siteId: site }, 'N-RACE', { createDevice: true }),
      enrolDevice(tdb.db, await testVault(tdb.db), { id: internal(b), siteId: site }, 'N-RACE', { createDevice: true }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const rows = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM enrolments e JOIN devices d ON d.id = e.device_id WHERE d.serial = 'N-RACE'`.execute(tdb.db);
    expect(rows.rows[0]!.n).toBe(1);
    expect(await history('N-RACE')).toHaveLength(1);
  });
});
