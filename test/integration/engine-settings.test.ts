import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import { TestGateway, type Reading } from '../helpers/gateway.ts';
import { seedUser, signIn } from '../helpers/people.ts';

// Engine settings per site and per patient: stored, checked, applied to scoring from the next
// reading, patient over site over default; who may change them.

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1, 2);
let tdb: TestDatabase;
let svc: RunningService;
let gwOne: TestGateway;
let gwTwo: TestGateway;
let admin: string;
let clinicianOne: string;
let clinicianTwo: string;
let patient: string;
let seq = 0;

async function call(method: string, path: string, cookie: string | null, body?: unknown, origin: string | null = svc.httpUrl) {
  const headers: Record<string, string> = {};
  if (cookie) headers.cookie = cookie;
  if (origin) headers.origin = origin;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${svc.httpUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as { code?: string; message?: string; settings?: unknown; effective?: { af: { burdenHours: number } } } };
}

const af = (device: string, day: number, hours: number): Reading => ({
  device, seq: ++seq, at: new Date(T0 + day * DAY).toISOString(), metric: 'af_burden', value: hours,
});

async function afAlerts(device: string): Promise<number> {
  const res = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM alerts a JOIN devices d ON d.id = a.device_id WHERE d.serial = ${device} AND a.kind = 'af_burden'`.execute(tdb.db);
  return res.rows[0]!.n;
}

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  svc = await startService(tdb.db, tdb.url);
  gwOne = await svc.gateway((await seedGateway(tdb.db, 'one')).key);
  gwTwo = await svc.gateway((await seedGateway(tdb.db, 'two')).key);
  await gwOne.batch('init', [af('ONE-1', 0, 0), af('ONE-2', 0, 0)]);
  await gwTwo.batch('init', [af('TWO-1', 0, 0)]);
  admin = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'admin')).email);
  clinicianOne = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'clinician', ['one'])).email);
  clinicianTwo = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'clinician', ['two'])).email);
  const created = await call('POST', '/v1/patients', admin, { site: 'one', familyName: 'Roe', givenName: 'Ann', dateOfBirth: '1948-05-01' });
  patient = (created.body as unknown as { patient: { id: string } }).patient.id;
  expect((await call('POST', `/v1/patients/${patient}/devices`, admin, { serial: 'ONE-2' })).status).toBe(200);
});
afterAll(async () => {
  gwOne?.close();
  gwTwo?.close();
  await svc?.close();
  await tdb?.drop();
});

describe('engine settings', () => {
  it('applies a site override to that site’s devices only, from the next reading', async () => {
    // Default: AF burden alerts from 6 h a day. The site lowers it to 2 h.
    const put = await call('PUT', '/v1/sites/one/engine-settings', admin, { af: { burdenHours: 2 } });
    expect(put.status).toBe(200);
    expect(put.body.settings).toEqual({ af: { burdenHours: 2 } });
    expect(put.body.effective!.af.burdenHours).toBe(2);
    await gwOne.batch('a', [af('ONE-1', 1, 3)]);
    await gwTwo.batch('a', [af('TWO-1', 1, 3)]);
    expect(await afAlerts('ONE-1')).toBe(1);
    expect(await afAlerts('TWO-1')).toBe(0);
  });

  it('puts a patient’s override over the site’s, and deleting it returns to the site’s', async () => {
    const put = await call('PUT', `/v1/patients/${patient}/engine-settings`, clinicianOne, { af: { burdenHours: 4 } });
    expect(put.status).toBe(200);
    expect(put.body.effective!.af.burdenHours).toBe(4);
    await gwOne.batch('b', [af('ONE-2', 1, 3)]);
    expect(await afAlerts('ONE-2')).toBe(0);
    await gwOne.batch('c', [af('ONE-2', 2, 4.5)]);
    expect(await afAlerts('ONE-2')).toBe(1);

    const del = await call('DELETE', `/v1/patients/${patient}/engine-settings`, clinicianOne);
    expect(del.status).toBe(200);
    expect(del.body.settings).toBeNull();
    expect(del.body.effective!.af.burdenHours).toBe(2);
    expect((await call('DELETE', `/v1/patients/${patient}/engine-settings`, clinicianOne)).status).toBe(404);
  });

  it('refuses settings that do not fit the configuration, naming the key', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ af: { burdenHourz: 2 } }, /unknown engine setting: af\.burdenHourz/],
      [{ af: { burdenHours: -1 } }, /af\.burdenHours must be a number, 0 or more/],
      [{ af: { burdenHours: '2' } }, /af\.burdenHours must be a number/],
      [{ af: 2 }, /af must be an object/],
      [{ priorities: { af_burden: 'urgent' } }, /priorities\.af_burden must be one of low, medium, high/],
      [[1, 2], /object/],
    ];
    for (const [body, message] of cases) {
      const res = await call('PUT', '/v1/sites/one/engine-settings', admin, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.message, JSON.stringify(body)).toMatch(message);
    }
    // Nothing of it was stored.
    expect((await call('GET', '/v1/sites/one/engine-settings', admin)).body.settings).toEqual({ af: { burdenHours: 2 } });
  });

  it('refuses overrides that would switch off a hard-limit rule, for a site and for a patient', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ shock: { minShocks: 1_000_000 } }, /shock\.minShocks must be at most 1 \(clinical floor: every shock alerts\)/],
      [{ ventricular: { minEpisodes: 2 } }, /ventricular\.minEpisodes must be at most 1/],
      [{ lead: { shockMin: 0, shockMax: 100_000 } }, /lead\.shockMin must be at least 10.*lead\.shockMax must be at most 250/],
      [{ battery: { eriStatus: 5 } }, /battery\.eriStatus must be at most 3/],
      [{ priorities: { shock_delivered: 'low' } }, /priorities\.shock_delivered must be high/],
      [{ connectivity: { silentHours: 0 } }, /connectivity\.silentHours must be at least 24/],
      [{ connectivity: { silentHours: 100_000 } }, /connectivity\.silentHours must be at most 1080/],
    ];
    for (const [body, message] of cases) {
      for (const path of ['/v1/sites/one/engine-settings', `/v1/patients/${patient}/engine-settings`]) {
        const res = await call('PUT', path, path.startsWith('/v1/sites') ? admin : clinicianOne, body);
        expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(400);
        expect(res.body.message, JSON.stringify(body)).toMatch(message);
      }
    }
    // Within the floors is accepted: a clinic may make a rule more sensitive.
    expect((await call('PUT', `/v1/patients/${patient}/engine-settings`, clinicianOne, { lead: { jumpPct: 30 } })).status).toBe(200);
    expect((await call('DELETE', `/v1/patients/${patient}/engine-settings`, clinicianOne)).status).toBe(200);
  });

  it('lets admins change a site, clinicians of the site read it and change their patients', async () => {
    expect((await call('PUT', '/v1/sites/one/engine-settings', clinicianOne, { af: { burdenHours: 1 } })).status).toBe(403);
    expect((await call('GET', '/v1/sites/one/engine-settings', clinicianOne)).status).toBe(200);
    expect((await call('GET', '/v1/sites/one/engine-settings', clinicianTwo)).status).toBe(404);
    expect((await call('PUT', `/v1/patients/${patient}/engine-settings`, clinicianTwo, { af: { burdenHours: 1 } })).status).toBe(404);
    expect((await call('GET', `/v1/patients/${patient}/engine-settings`, null)).status).toBe(401);
    expect((await call('PUT', `/v1/patients/${patient}/engine-settings`, clinicianOne, { af: { burdenHours: 1 } }, 'https://evil.example')).status).toBe(403);
    // Every change and every read that succeeded, once; refusals change nothing.
    const actions = await sql<{ action: string }>`SELECT action FROM audit_log WHERE action LIKE 'engine_settings.%' ORDER BY id`.execute(tdb.db);
    expect(actions.rows.map((r) => r.action)).toEqual([
      'engine_settings.put', 'engine_settings.put', 'engine_settings.delete', 'engine_settings.read',
      'engine_settings.put', 'engine_settings.delete', 'engine_settings.read',
    ]);
  });
});
