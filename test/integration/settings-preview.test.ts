import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import type { Reading } from '../helpers/gateway.ts';
import { sameOrigin, seedUser, signIn } from '../helpers/people.ts';
import { createPatient, enrolDevice } from '../../src/patients/service.ts';
import { testVault } from '../helpers/keys.ts';
import { Rng } from '../../simulators/prng.ts';

// Previewing engine settings before applying them: the patient's stored history through the
// engine under the settings in force and under the proposal, alerts gained and lost named;
// nothing stored changes but the audit row.

const DAY = 86_400_000;
const T0 = Math.floor(Date.now() / DAY) * DAY - 150 * DAY;
let tdb: TestDatabase;
let svc: RunningService;
let clinician: string;
let otherSite: string;
let analyst: string;
let admin: string;
let patient: string;

interface Preview {
  devices: number; readings: number; truncated: boolean; code?: string; message?: string;
  kinds: Record<string, { stored: number; current: number; proposed: number; gained: number; lost: number; reproduced: number }>;
  gained: Array<{ kind: string; device: string; at: string }>; lost: Array<{ kind: string; device: string; at: string; summary: string }>;
}

/** Impedance falls and fluid sums far beyond any this patient shows: no heart-failure alert. */
const STRICT = { hf: { zImpedance: 50, zImpedanceAlone: 50, fluidThreshold: 1000, fluidAloneLevel: 1000 } };

const post = async (path: string, cookie: string, body: unknown) => {
  const res = await fetch(`${svc.httpUrl}${path}`, {
    method: 'POST', headers: { cookie, 'content-type': 'application/json', ...sameOrigin(svc.httpUrl) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Preview };
};

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  const { key } = await seedGateway(tdb.db, 'pv');
  await seedGateway(tdb.db, 'pv-other');
  svc = await startService(tdb.db, tdb.url);
  clinician = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'clinician', ['pv'])).email);
  otherSite = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'clinician', ['pv-other'])).email);
  analyst = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'analyst', ['pv'])).email);
  admin = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'admin')).email);
  const vault = await testVault(tdb.db);
  const site = (await sql<{ id: number }>`SELECT id FROM sites WHERE code = 'pv'`.execute(tdb.db)).rows[0]!.id;
  const id = await createPatient(tdb.db, vault, { site: 'pv', familyName: 'Preview', givenName: 'Pat', dateOfBirth: '1950-01-01' }, Date.now());
  await enrolDevice(tdb.db, vault, { id, siteId: site }, 'PV-1', { createDevice: true, deviceType: 'icd' });
  patient = `p-${id}`;
  // 140 nights; from night 110 impedance falls 5 Ohm and the night rate rises 11/min.
  const rng = new Rng('preview');
  const base: Record<string, [number, number]> = {
    thoracic_impedance: [70, 1], respiratory_rate: [16, 0.4], night_heart_rate: [62, 2], hrv_sdaam: [105, 6], activity: [230, 20],
  };
  const readings: Reading[] = [];
  let seq = 0;
  for (let d = 0; d < 140; d++) {
    for (const [metric, [mean, sd]] of Object.entries(base)) {
      const add = d >= 110 ? ({ thoracic_impedance: -5, night_heart_rate: 11 } as Record<string, number>)[metric] ?? 0 : 0;
      readings.push({ device: 'PV-1', seq: ++seq, at: new Date(T0 + d * DAY + 2 * 3_600_000).toISOString(), metric, value: Math.round((mean + sd * rng.normal() + add) * 10) / 10 });
    }
  }
  const gw = await svc.gateway(key);
  for (let i = 0; i < readings.length; i += 500) expect((await gw.batch(`pv-${i}`, readings.slice(i, i + 500))).type).toBe('ack');
  gw.close();
}, 60_000);
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

describe('engine settings preview', () => {
  it('names the heart-failure alert a stricter setting would lose, and changes nothing stored', async () => {
    const before = await sql<{ alerts: number; settings: number }>`
      SELECT (SELECT count(*)::int FROM alerts) AS alerts, (SELECT count(*)::int FROM engine_settings) AS settings`.execute(tdb.db);
    expect(before.rows[0]!.alerts).toBeGreaterThanOrEqual(1);
    const res = await post(`/v1/patients/${patient}/engine-settings/preview`, clinician, STRICT);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ devices: 1, readings: 700, truncated: false });
    expect(res.body.kinds.hf_decompensation).toMatchObject({ stored: 1, current: 1, reproduced: 1, proposed: 0, lost: 1, gained: 0 });
    expect(res.body.lost).toHaveLength(1);
    expect(res.body.lost[0]).toMatchObject({ kind: 'hf_decompensation', device: 'PV-1' });
    expect(Date.parse(res.body.lost[0]!.at)).toBeGreaterThanOrEqual(T0 + 110 * DAY);
    // The same settings as in force: nothing gained or lost.
    const same = await post(`/v1/patients/${patient}/engine-settings/preview`, clinician, {});
    expect(same.body.kinds.hf_decompensation).toMatchObject({ current: 1, proposed: 1, gained: 0, lost: 0 });
    const after = await sql<{ alerts: number; settings: number }>`
      SELECT (SELECT count(*)::int FROM alerts) AS alerts, (SELECT count(*)::int FROM engine_settings) AS settings`.execute(tdb.db);
    expect(after.rows[0]).toEqual(before.rows[0]);
    const audit = await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_log WHERE action = 'engine_settings.preview' AND patient_id IS NOT NULL`.execute(tdb.db);
    expect(audit.rows[0]!.n).toBe(2);
  });

  it('previews a site override for admins only', async () => {
    const res = await post('/v1/sites/pv/engine-settings/preview', admin, STRICT);
    expect(res.status).toBe(200);
    expect(res.body.kinds.hf_decompensation).toMatchObject({ current: 1, proposed: 0, lost: 1 });
    expect((await post('/v1/sites/pv/engine-settings/preview', clinician, {})).status).toBe(403);
    expect((await post('/v1/sites/nowhere/engine-settings/preview', admin, {})).status).toBe(404);
  });

  it('refuses malformed, unsafe, unauthorised and hostile proposals', async () => {
    const path = `/v1/patients/${patient}/engine-settings/preview`;
    for (const body of [
      { hf: { zImpedanze: 4 } }, { hf: { zImpedance: -1 } }, { lead: { pacingMax: 100000 } }, { priorities: { lead_integrity: 'urgent' } },
      '{"__proto__":{"polluted":true}}', { constructor: { prototype: { polluted: true } } }, [1, 2], 'null',
    ]) {
      const res = await post(path, clinician, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(['bad_message', 'bad_json']).toContain(res.body.code);
    }
    expect((await post(path, clinician, '{"hf":')).status).toBe(400);
    expect((await post(path, clinician, { x: 'y'.repeat(70_000) })).status).toBe(413);
    expect((await post(path, otherSite, {})).status).toBe(404);
    expect((await post(path, analyst, {})).status).toBe(403);
    expect((await post(path, '', {})).status).toBe(401);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
