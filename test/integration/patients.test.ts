import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import type { Reading } from '../helpers/gateway.ts';
import { seedUser, signIn } from '../helpers/people.ts';

// Patients: registration and enrolment by admins, lists and pages for clinicians of the
// site (audited), trend readings, and the alerts that now carry the patient's id.

const DAY = 86_400_000;
const NOW = Date.now();
const T0 = Math.floor(NOW / DAY) * DAY - 40 * DAY;
let tdb: TestDatabase;
let svc: RunningService;
let admin: string;
let clinicianA: string;
let clinicianB: string;
let analyst: string;

async function call(method: string, path: string, cookie: string | null, body?: unknown, origin: string | null = svc.httpUrl) {
  const headers: Record<string, string> = {};
  if (cookie) headers.cookie = cookie;
  if (origin) headers.origin = origin;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${svc.httpUrl}${path}`, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  // Response bodies are walked freely below; a wrong path fails the assertion that reads it.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: res.status, body: (text ? JSON.parse(text) : null) as Record<string, any> };
}

const jane = { site: 'east', familyName: 'Doe', givenName: 'Jane', nhsNumber: '943 476 5919', dateOfBirth: '1950-03-04', sex: 'female' };

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  svc = await startService(tdb.db, tdb.url);
  const gwEast = await svc.gateway((await seedGateway(tdb.db, 'east')).key);
  const gwWest = await svc.gateway((await seedGateway(tdb.db, 'west')).key);
  const nights: Reading[] = [];
  for (let d = 0; d < 40; d++) {
    const at = new Date(T0 + d * DAY).toISOString();
    nights.push({ device: 'E-1', seq: d * 2, at, metric: 'thoracic_impedance', value: 70 + (d % 3) });
    nights.push({ device: 'E-1', seq: d * 2 + 1, at, metric: 'vt_episodes', value: d === 38 ? 2 : 0 });
  }
  await gwEast.batch('e', nights);
  await gwWest.batch('w', [{ device: 'W-1', seq: 1, at: new Date(T0).toISOString(), metric: 'activity', value: 100 }]);
  gwEast.close();
  gwWest.close();
  admin = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'admin')).email);
  clinicianA = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'clinician', ['east'])).email);
  clinicianB = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'clinician', ['west'])).email);
  analyst = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'analyst', ['east'])).email);
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

describe('registration and enrolment (admins)', () => {
  let id: string;

  it('registers a patient and enrols a device of the same site', async () => {
    const created = await call('POST', '/v1/patients', admin, jane);
    expect(created.status).toBe(201);
    id = created.body.patient.id;
    expect(id).toMatch(/^p-\d+$/);
    expect(created.body.patient).toMatchObject({ name: 'Jane Doe', site: 'east', nhsNumber: '9434765919', dateOfBirth: '1950-03-04', sex: 'female', devices: [] });

    expect((await call('POST', `/v1/patients/${id}/devices`, admin, { serial: 'E-1', deviceType: 'toaster' })).status).toBe(400);
    const enrolled = await call('POST', `/v1/patients/${id}/devices`, admin, { serial: 'E-1', deviceType: 'crt_d' });
    expect(enrolled.status).toBe(200);
    expect(enrolled.body.patient.devices).toEqual(['E-1']);
    // The device's alerts now name the patient.
    const alerts = await call('GET', `/v1/alerts?patient=${id}`, clinicianA);
    expect(alerts.body.alerts.map((a: { patientId: string; kind: string }) => [a.patientId, a.kind])).toEqual([[id, 'ventricular_arrhythmia']]);
  });

  it('refuses bad identity, duplicates, cross-site and double enrolment with clear errors', async () => {
    const cases: Array<[unknown, number, string]> = [
      [{ ...jane, nhsNumber: '9434765918' }, 400, 'bad_message'],
      [{ ...jane, nhsNumber: '4010232137', dateOfBirth: '2999-01-01' }, 400, 'bad_message'],
      [{ ...jane, nhsNumber: '4010232137', dateOfBirth: '1950-02-30' }, 400, 'bad_message'],
      [{ ...jane, nhsNumber: '4010232137', familyName: '   ' }, 400, 'bad_message'],
      [{ ...jane, nhsNumber: '4010232137', site: 'nowhere' }, 400, 'bad_message'],
      [{ ...jane, nhsNumber: '4010232137', extra: 1 }, 400, 'bad_message'],
      [{ ...jane, givenName: 42 }, 400, 'bad_message'],
      [{ ...jane, nhsNumber: '4010232137', sex: 'F' }, 400, 'bad_message'],
      [{ ...jane, familyName: 'x'.repeat(201) }, 400, 'bad_message'],
      [jane, 409, 'conflict'],
      ['{"site":', 400, 'bad_json'],
    ];
    for (const [body, status, code] of cases) {
      const res = await call('POST', '/v1/patients', admin, body);
      expect([res.status, res.body.code], JSON.stringify(body)).toEqual([status, code]);
    }
    const other = await call('POST', '/v1/patients', admin, { ...jane, nhsNumber: null, familyName: 'Roe' });
    const otherId = other.body.patient.id as string;
    expect((await call('POST', `/v1/patients/${otherId}/devices`, admin, { serial: 'E-1' })).body.code).toBe('conflict');
    expect((await call('POST', `/v1/patients/${otherId}/devices`, admin, { serial: 'W-1' })).status).toBe(400);
    expect((await call('POST', `/v1/patients/${otherId}/devices`, admin, { serial: 'NOPE' })).status).toBe(404);
    expect((await call('POST', `/v1/patients/${otherId}/devices`, admin, { serial: '' })).status).toBe(400);
    expect((await call('DELETE', `/v1/patients/${otherId}/devices/E-1`, admin)).status).toBe(404);
  });

  it('is for admins only, from the service’s own pages', async () => {
    expect((await call('POST', '/v1/patients', clinicianA, jane)).status).toBe(403);
    expect((await call('POST', '/v1/patients', analyst, jane)).status).toBe(403);
    expect((await call('POST', '/v1/patients', null, jane)).status).toBe(401);
    expect((await call('POST', '/v1/patients', null, '{"broken')).status).toBe(401);
    expect((await call('POST', '/v1/patients', clinicianA, { nonsense: true })).status).toBe(403);
    expect((await call('POST', '/v1/patients', admin, jane, 'https://evil.example')).body.code).toBe('cross_origin');
    expect((await call('POST', `/v1/patients/${id}/devices`, clinicianA, { serial: 'E-1' })).status).toBe(403);
  });

  it('unenrols, and the alerts lose the patient’s id', async () => {
    const other = await call('POST', '/v1/patients', admin, { ...jane, nhsNumber: null, givenName: 'Tmp' });
    const tmp = other.body.patient.id as string;
    await call('POST', '/v1/patients', admin, { ...jane, nhsNumber: null });
    const res = await call('POST', '/v1/patients', admin, { ...jane, nhsNumber: null, givenName: 'W' , site: 'west' });
    expect((await call('POST', `/v1/patients/${res.body.patient.id}/devices`, admin, { serial: 'W-1' })).status).toBe(200);
    expect((await call('DELETE', `/v1/patients/${res.body.patient.id}/devices/W-1`, admin)).status).toBe(204);
    expect((await call('GET', `/v1/patients/${res.body.patient.id}`, admin)).body.patient.devices).toEqual([]);
    expect(tmp).toMatch(/^p-/);
  });
});

describe('reading patients (clinicians of the site)', () => {
  const janeId = async () => ((await call('GET', '/v1/patients', clinicianA)).body.patients as Array<{ id: string; devices: string[] }>).find((p) => p.devices.includes('E-1'))!.id;

  it('lists the site’s patients with devices, risk and open alerts', async () => {
    const list = await call('GET', '/v1/patients', clinicianA);
    expect(list.status).toBe(200);
    const p = list.body.patients.find((x: { devices: string[] }) => x.devices.includes('E-1'));
    expect(p).toMatchObject({ name: 'Jane Doe', site: 'east', openAlerts: { high: 1, medium: 0, low: 0 } });
    // Each device's enrolled type, in the order of the serials.
    const detail = await call('GET', `/v1/patients/${p.id}`, clinicianA);
    expect(p.deviceTypes).toEqual(p.devices.map((serial: string) => detail.body.patient.devices.find((d: { serial: string }) => d.serial === serial).type));
    expect(list.body.patients.every((x: { site: string }) => x.site === 'east')).toBe(true);
    expect((await call('GET', '/v1/patients', clinicianB)).body.patients.every((x: { site: string }) => x.site === 'west')).toBe(true);
  });

  it('pages the list: next only when another page exists, and the pages add up to the list', async () => {
    const extra = await call('POST', '/v1/patients', admin, { site: 'east', familyName: 'Roe', givenName: 'Rita', dateOfBirth: '1961-01-01', sex: 'female' });
    expect(extra.status, JSON.stringify(extra.body)).toBe(201);
    const all = (await call('GET', '/v1/patients?limit=1000', clinicianA)).body.patients as Array<{ id: string }>;
    expect(all.length).toBeGreaterThan(1);
    // Exactly as many as the page: no next (it pointed to an empty page before).
    const exact = await call('GET', `/v1/patients?limit=${all.length}`, clinicianA);
    expect(exact.body.next).toBeNull();
    expect(exact.body.patients).toHaveLength(all.length);
    // One fewer: a next, and the page after it holds the rest.
    const first = await call('GET', `/v1/patients?limit=${all.length - 1}`, clinicianA);
    expect(first.body.next).toBe(all[all.length - 2]!.id);
    const rest = await call('GET', `/v1/patients?limit=${all.length - 1}&after=${first.body.next}`, clinicianA);
    expect([...first.body.patients, ...rest.body.patients].map((p: { id: string }) => p.id)).toEqual(all.map((p) => p.id));
    expect(rest.body.next).toBeNull();
  });

  it('shows one patient with device details and every alert, and their readings per metric', async () => {
    const id = await janeId();
    const page = await call('GET', `/v1/patients/${id}`, clinicianA);
    expect(page.status).toBe(200);
    expect(page.body.patient.devices).toEqual([{ serial: 'E-1', type: 'crt_d', firstSeenAt: expect.any(String), lastReadingAt: new Date(T0 + 39 * DAY).toISOString(), identityWarning: null, settings: [] }]);
    expect(page.body.episodes).toEqual([]);
    expect(page.body.alerts.map((a: { kind: string }) => a.kind)).toEqual(['ventricular_arrhythmia']);

    const readings = await call('GET', `/v1/patients/${id}/readings`, clinicianA);
    expect(readings.status).toBe(200);
    expect(Object.keys(readings.body.series).sort()).toEqual(['thoracic_impedance', 'vt_episodes']);
    expect(readings.body.series.thoracic_impedance.unit).toBe('Ohm');
    expect(readings.body.series.thoracic_impedance.points).toHaveLength(40);
    expect(readings.body.series.thoracic_impedance.points[0]).toEqual([T0, 70]);
    const week = await call('GET', `/v1/patients/${id}/readings?from=${new Date(T0 + 33 * DAY).toISOString()}&to=${new Date(T0 + 40 * DAY).toISOString()}`, clinicianA);
    expect(week.body.series.vt_episodes.points).toHaveLength(7);
    for (const q of ['from=yesterday', 'to=2026-13-01', `from=${new Date(NOW).toISOString()}&to=${new Date(NOW - DAY).toISOString()}`, 'from=1990-01-01', 'metric=x']) {
      expect((await call('GET', `/v1/patients/${id}/readings?${q}`, clinicianA)).status, q).toBe(400);
    }
  });

  it('hides another site’s patient as not found, refuses analysts and the signed-out, and audits each read', async () => {
    const id = await janeId();
    for (const path of [`/v1/patients/${id}`, `/v1/patients/${id}/readings`]) {
      expect((await call('GET', path, clinicianB)).status, path).toBe(404);
      expect((await call('GET', path, analyst)).status, path).toBe(403);
      expect((await call('GET', path, null)).status, path).toBe(401);
    }
    expect((await call('GET', '/v1/patients/p-999999', clinicianA)).status).toBe(404);
    expect((await call('GET', '/v1/patients/1', clinicianA)).status).toBe(404);
    const before = await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_log WHERE action = 'patient.read'`.execute(tdb.db);
    await call('GET', `/v1/patients/${id}`, clinicianA);
    const after = await sql<{ n: number; patient: number }>`
      SELECT count(*) OVER ()::int AS n, patient_id AS patient FROM audit_log WHERE action = 'patient.read' ORDER BY id DESC LIMIT 1`.execute(tdb.db);
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n + 1);
    expect(`p-${after.rows[0]!.patient}`).toBe(id);
  });
});
