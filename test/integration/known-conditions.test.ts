import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import type { Reading } from '../helpers/gateway.ts';
import { sameOrigin, seedUser, signIn } from '../helpers/people.ts';
import { createPatient, enrolDevice } from '../../src/patients/service.ts';
import { testVault } from '../helpers/keys.ts';

// A known condition (here permanent AF) turns the alerts of its kind into a weekly digest
// instead of a new alert every day; VT/VF, shocks and heart failure can never be folded.

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 9, 5); // a Monday, 21 days of AF from here
let tdb: TestDatabase;
let svc: RunningService;
let key: string;
let clinician: string;
let otherSite: string;
let patient: string;
let seq = 0;

const call = async (method: string, path: string, cookie: string, body?: unknown) => {
  const res = await fetch(`${svc.httpUrl}${path}`, {
    method, headers: { cookie, ...(body === undefined ? {} : { 'content-type': 'application/json', ...sameOrigin(svc.httpUrl) }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { conditions: Array<{ id: string; reason: string; digests: Array<{ week: string; occurrences: number }> }>; code?: string } };
};

/** Daily AF burden of `hours` for `days` days from day `from`, then alert resolution by the clinic each day. */
async function afDays(device: string, from: number, days: number, hours: number): Promise<void> {
  const gw = await svc.gateway(key);
  for (let d = from; d < from + days; d++) {
    const readings: Reading[] = [{ device, seq: ++seq, at: new Date(T0 + d * DAY + 6 * 3_600_000).toISOString(), metric: 'af_burden', value: hours }];
    await gw.batch(`af-${seq}`, readings);
    // The clinic resolves each day's alert, so a new one would open the next day.
    await sql`UPDATE alerts SET status = 'resolved', resolved_at = now(), resolution = 'not_actionable' WHERE kind = 'af_burden' AND status <> 'resolved'`.execute(tdb.db);
  }
  gw.close();
}

const alertsOpened = async (device: string) =>
  (await sql<{ n: number }>`SELECT count(*)::int AS n FROM alerts a JOIN devices d ON d.id = a.device_id WHERE d.serial = ${device} AND a.kind = 'af_burden'`.execute(tdb.db)).rows[0]!.n;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  key = (await seedGateway(tdb.db, 'kc')).key;
  await seedGateway(tdb.db, 'kc-other');
  svc = await startService(tdb.db, tdb.url, { ENGINE_CONNECTIVITY_CHECK_MS: '3600000' });
  clinician = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'clinician', ['kc'])).email);
  otherSite = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'clinician', ['kc-other'])).email);
  const vault = await testVault(tdb.db);
  const site = (await sql<{ id: number }>`SELECT id FROM sites WHERE code = 'kc'`.execute(tdb.db)).rows[0]!.id;
  for (const [name, serial] of [['Known', 'KC-1'], ['Unknown', 'KC-2']] as const) {
    const id = await createPatient(tdb.db, vault, { site: 'kc', familyName: name, givenName: 'Af', dateOfBirth: '1940-01-01' }, Date.now());
    await enrolDevice(tdb.db, vault, { id, siteId: site }, serial, { createDevice: true, deviceType: 'pacemaker' });
    if (serial === 'KC-1') patient = `p-${id}`;
  }
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

describe('known conditions', () => {
  it('fold daily AF alerts into one digest entry a week, while a patient without one gets an alert a day', async () => {
    const stated = await call('POST', `/v1/patients/${patient}/conditions`, clinician, {
      kind: 'af_burden', reason: 'Permanent AF since 2019, rate controlled; anticoagulated', startsAt: new Date(T0 - DAY).toISOString(),
      expiresAt: new Date(Date.now() + 30 * DAY).toISOString(),
    });
    expect(stated.status).toBe(201);
    await afDays('KC-1', 0, 21, 20);
    await afDays('KC-2', 0, 21, 20);
    expect(await alertsOpened('KC-2')).toBe(21);
    expect(await alertsOpened('KC-1')).toBe(0);
    const read = await call('GET', `/v1/patients/${patient}/conditions`, clinician);
    expect(read.body.conditions).toHaveLength(1);
    expect(read.body.conditions[0]!.reason).toBe('Permanent AF since 2019, rate controlled; anticoagulated');
    expect(read.body.conditions[0]!.digests.map((g) => [g.week, g.occurrences])).toEqual([['2026-10-19', 7], ['2026-10-12', 7], ['2026-10-05', 7]]);
    // The reason is kept sealed.
    const raw = await sql<{ reason_sealed: string }>`SELECT reason_sealed FROM known_conditions`.execute(tdb.db);
    expect(raw.rows[0]!.reason_sealed).toMatch(/^v1\./);
  });

  it('opens alerts again once the condition is ended', async () => {
    const id = (await call('GET', `/v1/patients/${patient}/conditions`, clinician)).body.conditions[0]!.id;
    expect((await call('POST', `/v1/patients/${patient}/conditions/${id}/end`, clinician, {})).status).toBe(200);
    await afDays('KC-1', 21, 2, 20);
    expect(await alertsOpened('KC-1')).toBe(2);
    // Ended once: ending again finds nothing in force.
    expect((await call('POST', `/v1/patients/${patient}/conditions/${id}/end`, clinician, {})).status).toBe(404);
  });

  it('refuses what must never be folded, a past or far expiry, a blank reason and another site', async () => {
    const later = new Date(Date.now() + 7 * DAY).toISOString();
    const bad = [
      { kind: 'ventricular_arrhythmia', reason: 'x', expiresAt: later },
      { kind: 'shock_delivered', reason: 'x', expiresAt: later },
      { kind: 'hf_decompensation', reason: 'x', expiresAt: later },
      { kind: 'af_burden', reason: '   ', expiresAt: later },
      { kind: 'af_burden', reason: 'x', expiresAt: new Date(Date.now() - DAY).toISOString() },
      { kind: 'af_burden', reason: 'x', expiresAt: new Date(Date.now() + 400 * DAY).toISOString() },
      { kind: 'af_burden', reason: 'x', expiresAt: later, startsAt: new Date(Date.now() + DAY).toISOString() },
      { kind: 'af_burden', reason: 'x'.repeat(501), expiresAt: later },
      { kind: 'af_burden', reason: 'x', expiresAt: later, extra: true },
      { kind: 'af_burden', reason: 'x', expiresAt: 'tomorrow' },
    ];
    for (const body of bad) {
      const res = await call('POST', `/v1/patients/${patient}/conditions`, clinician, body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.body.code).toBe('bad_message');
    }
    expect((await call('POST', `/v1/patients/${patient}/conditions`, otherSite, { kind: 'af_burden', reason: 'x', expiresAt: later })).status).toBe(404);
    expect((await call('GET', `/v1/patients/${patient}/conditions`, otherSite)).status).toBe(404);
    expect((await call('POST', `/v1/patients/${patient}/conditions/c-99999999999/end`, clinician, {})).status).toBe(404);
    // Ending takes no fields, and its refusals of a body are the documented ones.
    const end = `/v1/patients/${patient}/conditions/c-1/end`;
    expect(await call('POST', end, clinician, { extra: true })).toMatchObject({ status: 400, body: { code: 'bad_message' } });
    expect(await call('POST', end, clinician, { pad: 'x'.repeat(2000) })).toMatchObject({ status: 413, body: { code: 'payload_too_large' } });
    const text = await fetch(`${svc.httpUrl}${end}`, { method: 'POST', headers: { cookie: clinician, 'content-type': 'text/plain', ...sameOrigin(svc.httpUrl) }, body: 'end' });
    expect({ status: text.status, body: await text.json() }).toMatchObject({ status: 415, body: { code: 'unsupported_media_type' } });
    const rows = await sql<{ n: number }>`SELECT count(*)::int AS n FROM known_conditions`.execute(tdb.db);
    expect(rows.rows[0]!.n).toBe(1);
  });

  it('audits every read and change, naming no reason', async () => {
    const rows = await sql<{ action: string; detail: unknown }>`SELECT action, detail FROM audit_log WHERE action LIKE 'patient.condition%' ORDER BY id`.execute(tdb.db);
    expect(rows.rows.map((r) => r.action)).toEqual(expect.arrayContaining(['patient.condition.create', 'patient.conditions.read', 'patient.condition.end']));
    expect(JSON.stringify(rows.rows)).not.toContain('Permanent AF');
  });
});
