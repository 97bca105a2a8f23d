import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import { TestGateway, type Reading } from '../helpers/gateway.ts';
import { seedUser, signIn } from '../helpers/people.ts';
import { createPatient, enrolDevice } from '../../src/patients/service.ts';
import { testVault } from '../helpers/keys.ts';

// A Low on too little data to judge heart-failure risk: the patient's risk says so from the
// device's first readings, and stops saying so once thoracic impedance and a second sensor
// have learned baselines, without a risk change for what was never a change of status.

const DAY = 86_400_000;
const T0 = Math.floor(Date.now() / DAY) * DAY - 70 * DAY + 2 * 3_600_000;
let tdb: TestDatabase;
let svc: RunningService;
let gw: TestGateway;
let clinician: string;
let siteId: number;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  svc = await startService(tdb.db, tdb.url);
  gw = await svc.gateway((await seedGateway(tdb.db, 'hf')).key);
  siteId = (await tdb.db.selectFrom('sites').select('id').where('code', '=', 'hf').executeTakeFirstOrThrow()).id;
  clinician = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'clinician', ['hf'])).email);
});
afterAll(async () => {
  gw?.close();
  await svc?.close();
  await tdb?.drop();
});

async function patientWith(serial: string, deviceType: string, familyName: string): Promise<string> {
  const id = await createPatient(tdb.db, await testVault(tdb.db), { site: 'hf', familyName, givenName: 'Sam', dateOfBirth: '1950-01-02' }, Date.now());
  await enrolDevice(tdb.db, await testVault(tdb.db), { id, siteId }, serial, { createDevice: true, deviceType });
  return `p-${id}`;
}

/** Nightly readings of the given metrics, steady but for a small day-to-day wobble. */
function nights(device: string, from: number, days: number, metrics: readonly string[]): Reading[] {
  const out: Reading[] = [];
  for (let d = from; d < from + days; d++) {
    const at = new Date(T0 + d * DAY).toISOString();
    const wobble = Math.sin(d / 3);
    const value: Record<string, number> = {
      thoracic_impedance: 70 + wobble, respiratory_rate: 16 + wobble / 2, night_heart_rate: 62 + wobble, activity: 250 + wobble * 20,
    };
    metrics.forEach((metric, i) => out.push({ device, seq: d * 10 + i, at, metric, value: value[metric]! }));
  }
  return out;
}

async function send(id: string, readings: Reading[]): Promise<void> {
  expect((await gw.batch(id, readings)).accepted).toBe(readings.length);
}

async function riskOf(ref: string) {
  const res = await fetch(`${svc.httpUrl}/v1/patients/${ref}`, { headers: { cookie: clinician } });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { patient: { risk: { status: string; insufficientData: boolean } | null } };
  return body.patient.risk;
}

async function riskChanges(serial: string): Promise<number> {
  const res = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM risk_changes rc JOIN devices d ON d.id = rc.device_id WHERE d.serial = ${serial}`.execute(tdb.db);
  return res.rows[0]!.n;
}

describe('heart-failure risk on too little data', () => {
  it('a pacemaker with heart rate and activity only reads Low on insufficient data, on the page and the list', async () => {
    const ref = await patientWith('PM-1', 'pacemaker', 'Pacer');
    await send('pm', nights('PM-1', 0, 20, ['night_heart_rate', 'activity']));
    expect(await riskOf(ref)).toMatchObject({ status: 'Low', insufficientData: true });

    const list = await fetch(`${svc.httpUrl}/v1/patients`, { headers: { cookie: clinician } });
    const { patients } = (await list.json()) as { patients: Array<{ id: string; risk: unknown }> };
    expect(patients.find((p) => p.id === ref)?.risk).toMatchObject({ status: 'Low', insufficientData: true });
    expect(await riskChanges('PM-1')).toBe(0);
  });

  it('a device whose impedance and second sensor have learned baselines reads a plain Low, with no risk change stored', async () => {
    const ref = await patientWith('ICD-1', 'icd', 'Shock');
    await send('icd-early', nights('ICD-1', 0, 5, ['night_heart_rate', 'activity']));
    expect(await riskOf(ref)).toMatchObject({ status: 'Low', insufficientData: true });

    await send('icd-full', nights('ICD-1', 5, 60, ['thoracic_impedance', 'respiratory_rate', 'night_heart_rate', 'activity']));
    expect(await riskOf(ref)).toMatchObject({ status: 'Low', insufficientData: false });
    // The status never changed: the export's risk changes have nothing to say.
    expect(await riskChanges('ICD-1')).toBe(0);
    const row = await tdb.db.selectFrom('device_risk').innerJoin('devices', 'devices.id', 'device_risk.device_id')
      .select(['status', 'insufficient_data']).where('serial', '=', 'ICD-1').executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'Low', insufficient_data: false });
  });

  it('a patient with a pacemaker and an ICD reads the ICD\'s plain Low, whichever device sent last', async () => {
    const ref = await patientWith('ICD-2', 'icd', 'Both');
    const id = Number(ref.slice(2));
    await enrolDevice(tdb.db, await testVault(tdb.db), { id, siteId }, 'PM-2', { createDevice: true, deviceType: 'pacemaker' });
    await send('both-icd', nights('ICD-2', 0, 60, ['thoracic_impedance', 'respiratory_rate', 'night_heart_rate', 'activity']));
    // The pacemaker's rows are newer, and insufficient: they must not hide a judgement made on enough data.
    await send('both-pm', nights('PM-2', 60, 8, ['night_heart_rate', 'activity']));
    expect(await riskOf(ref)).toMatchObject({ status: 'Low', insufficientData: false });
  });
});
