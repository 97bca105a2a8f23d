import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import type { Reading } from '../helpers/gateway.ts';
import { sameOrigin, seedUser, signIn } from '../helpers/people.ts';
import { createPatient, enrolDevice } from '../../src/patients/service.ts';
import { testVault } from '../helpers/keys.ts';
import { Rng } from '../../simulators/prng.ts';
import { replay, selectDevices } from '../../src/replay/replay.ts';

// Device lifecycle events through the service: a generator change mid-year keeps heart-failure
// monitoring going on the new serial and ends the old serial's (no connectivity alert for it);
// a lead revision raises at most one lead alert; the API refuses what it must.

const DAY = 86_400_000;
const T0 = Math.floor(Date.now() / DAY) * DAY - 200 * DAY;
const at = (day: number) => T0 + day * DAY + 2 * 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

let tdb: TestDatabase;
let svc: RunningService;
let key: string;
let clinician: string;
let otherSite: string;
let analyst: string;
let admin: string;
const patients: Record<string, string> = {};
const seqs = new Map<string, number>();

interface EventsAnswer { events: Array<{ id: string; kind: string; serial: string; replaces: string | null; source: string; leads: string[] }>; code?: string; message?: string }

const call = async (method: string, path: string, cookie: string, body?: unknown) => {
  const res = await fetch(`${svc.httpUrl}${path}`, {
    method, headers: { cookie, ...(body === undefined ? {} : { 'content-type': 'application/json', ...sameOrigin(svc.httpUrl) }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as EventsAnswer };
};

/** Send each day's readings from `from` for `days` days, in batches of 10 days; `resolve` closes the day's alerts. */
async function send(device: string, from: number, days: number, values: (day: number) => Record<string, number>, resolve?: string): Promise<void> {
  const gw = await svc.gateway(key);
  for (let d0 = from; d0 < from + days; d0 += resolve ? 1 : 10) {
    const batch: Reading[] = [];
    for (let d = d0; d < Math.min(from + days, d0 + (resolve ? 1 : 10)); d++) {
      for (const [metric, value] of Object.entries(values(d))) {
        const seq = (seqs.get(device) ?? 0) + 1;
        seqs.set(device, seq);
        batch.push({ device, seq, at: iso(at(d)), metric, value });
      }
    }
    const reply = await gw.batch(`${device}-${d0}`, batch);
    expect(reply.type).toBe('ack');
    if (resolve) {
      await sql`UPDATE alerts a SET status = 'resolved', resolved_at = now(), resolution = 'not_actionable'
                FROM devices d WHERE d.id = a.device_id AND d.serial = ${device} AND a.kind = ${resolve} AND a.status <> 'resolved'`.execute(tdb.db);
    }
  }
  gw.close();
}

/** A heart-failure patient's night: own baselines and seeded day-to-day noise, plus `add`. */
function hfNight(rng: Rng, add: Record<string, number> = {}): Record<string, number> {
  const base: Record<string, [number, number]> = {
    thoracic_impedance: [70, 1], respiratory_rate: [16, 0.4], night_heart_rate: [62, 2], hrv_sdaam: [105, 6], activity: [230, 20],
  };
  return Object.fromEntries(Object.entries(base).map(([m, [mean, sd]]) => [m, Math.round((mean + sd * rng.normal() + (add[m] ?? 0)) * 10) / 10]));
}

const alertsOf = async (device: string, kind: string) =>
  (await sql<{ trigger_at: string }>`
    SELECT a.trigger->>'at' AS trigger_at FROM alerts a JOIN devices d ON d.id = a.device_id
    WHERE d.serial = ${device} AND a.kind = ${kind} ORDER BY a.id`.execute(tdb.db)).rows.map((r) => ({ trigger_at: new Date(r.trigger_at) }));

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  key = (await seedGateway(tdb.db, 'lc')).key;
  await seedGateway(tdb.db, 'lc-other');
  svc = await startService(tdb.db, tdb.url, { ENGINE_CONNECTIVITY_CHECK_MS: '500' });
  clinician = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'clinician', ['lc'])).email);
  otherSite = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'clinician', ['lc-other'])).email);
  analyst = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'analyst', ['lc'])).email);
  admin = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'admin')).email);
  const vault = await testVault(tdb.db);
  const site = (await sql<{ id: number }>`SELECT id FROM sites WHERE code = 'lc'`.execute(tdb.db)).rows[0]!.id;
  for (const serial of ['LC-OLD', 'LC-SILENT', 'LC-LEAD', 'LC-LEAD-LATE', 'LC-LEAD-CTRL']) {
    const id = await createPatient(tdb.db, vault, { site: 'lc', familyName: serial, givenName: 'Lc', dateOfBirth: '1950-01-01' }, Date.now());
    await enrolDevice(tdb.db, vault, { id, siteId: site }, serial, { createDevice: true, deviceType: 'icd' });
    patients[serial] = `p-${id}`;
  }
}, 60_000);
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

describe('device lifecycle', () => {
  it('keeps heart-failure monitoring across a generator change, without a connectivity alert for the old serial', async () => {
    const rng = new Rng('lifecycle-hf');
    await send('LC-OLD', 0, 100, () => hfNight(rng));
    await send('LC-SILENT', 0, 100, () => ({ rv_lead_impedance: 600 }));
    // The new generator (its can 6 Ohm higher in the pocket) transmits before the clinic
    // records the change: the record replays it from its first reading, carried over.
    const newNight = (d: number) => hfNight(rng, d >= 121 ? { thoracic_impedance: 6 - 5, night_heart_rate: 11 } : { thoracic_impedance: 6 });
    await send('LC-NEW', 101, 5, newNight);
    const recorded = await call('POST', `/v1/patients/${patients['LC-OLD']}/device-events`, clinician, {
      kind: 'generator_change', at: iso(T0 + 100 * DAY + 9 * 3_600_000), serial: 'LC-NEW', replaces: 'LC-OLD',
    });
    expect(recorded.status, JSON.stringify(recorded.body)).toBe(201);
    // Newest first; the old generator's explant, recorded with the change, has the same time.
    expect(recorded.body.events.map((e) => [e.kind, e.serial, e.replaces, e.source])).toEqual([
      ['explant', 'LC-OLD', null, 'generator_change'],
      ['generator_change', 'LC-NEW', 'LC-OLD', 'clinician'],
    ]);
    // Enrolled to the same patient, with the old generator's type.
    const enrolled = await sql<{ serial: string; device_type: string }>`
      SELECT d.serial, e.device_type FROM enrolments e JOIN devices d ON d.id = e.device_id WHERE e.patient_id = ${Number(patients['LC-OLD']!.slice(2))} ORDER BY d.serial`.execute(tdb.db);
    expect(enrolled.rows).toEqual([{ serial: 'LC-NEW', device_type: 'icd' }, { serial: 'LC-OLD', device_type: 'icd' }]);

    await send('LC-NEW', 106, 34, newNight);
    // Decompensation from day 121, three weeks after the change: a state learning afresh would
    // still be learning (34 days of impedance, 28 of each input's baseline).
    const hf = await alertsOf('LC-NEW', 'hf_decompensation');
    expect(hf).toHaveLength(1);
    expect(hf[0]!.trigger_at.getTime()).toBeLessThan(at(130));
    expect(hf[0]!.trigger_at.getTime()).toBeGreaterThanOrEqual(at(121));

    // The site's devices moved on 40 days; a device silent since day 100 gets its connectivity
    // alert (the check runs), the replaced generator does not. As a live site: the readings
    // received when they were taken (history uploaded late raises no connectivity alert).
    await sql`UPDATE readings SET received_at = at`.execute(tdb.db);
    await expect.poll(async () => (await alertsOf('LC-SILENT', 'connectivity_loss')).length, { timeout: 20_000, interval: 250 }).toBe(1);
    expect(await alertsOf('LC-OLD', 'connectivity_loss')).toEqual([]);
  });

  it('raises at most one lead alert after a lead revision, recorded before or after the new lead transmits', async () => {
    const old = (d: number) => ({ rv_lead_impedance: 600 + 15 * Math.sin(d * 2.1) });
    // A new lead: 1250 Ohm the day after, settling to 1000 Ohm over a month.
    const revised = (d: number) => ({ rv_lead_impedance: Math.round(1000 + 250 * Math.max(0, 1 - (d - 90) / 30)) });
    for (const device of ['LC-LEAD', 'LC-LEAD-LATE', 'LC-LEAD-CTRL']) await send(device, 0, 90, old);
    const revision = { kind: 'lead_revision', at: iso(T0 + 90 * DAY), serial: 'LC-LEAD', leads: ['rv'] };
    expect((await call('POST', `/v1/patients/${patients['LC-LEAD']}/device-events`, clinician, revision)).status).toBe(201);
    await send('LC-LEAD', 90, 60, revised, 'lead_integrity');
    // Recorded after the first alert, which told the clinic: the replay takes it in from day 90 on.
    await send('LC-LEAD-LATE', 90, 1, revised, 'lead_integrity');
    expect(await alertsOf('LC-LEAD-LATE', 'lead_integrity')).toHaveLength(1);
    expect((await call('POST', `/v1/patients/${patients['LC-LEAD-LATE']}/device-events`, admin, { ...revision, serial: 'LC-LEAD-LATE' })).status).toBe(201);
    await send('LC-LEAD-LATE', 91, 59, revised, 'lead_integrity');
    await send('LC-LEAD-CTRL', 90, 60, revised, 'lead_integrity');
    expect(await alertsOf('LC-LEAD', 'lead_integrity')).toHaveLength(0);
    expect((await alertsOf('LC-LEAD-LATE', 'lead_integrity')).length).toBeLessThanOrEqual(1);
    // Without the record the new lead reads as a 67 % jump on the old lead's baseline, night
    // after night (the clinic's resolutions here do not tell the engine the condition is known).
    expect((await alertsOf('LC-LEAD-CTRL', 'lead_integrity')).length).toBeGreaterThan(1);
    // The replay rewrote the late device's scores from the event on: its new lead is no anomaly.
    const scores = await sql<{ score: number }>`
      SELECT r.score FROM readings r JOIN devices d ON d.id = r.device_id WHERE d.serial = 'LC-LEAD-LATE' AND r.at >= ${new Date(at(91))} ORDER BY r.at LIMIT 1`.execute(tdb.db);
    const ctrl = await sql<{ score: number }>`
      SELECT r.score FROM readings r JOIN devices d ON d.id = r.device_id WHERE d.serial = 'LC-LEAD-CTRL' AND r.at >= ${new Date(at(91))} ORDER BY r.at LIMIT 1`.execute(tdb.db);
    expect(scores.rows[0]!.score).toBeLessThan(ctrl.rows[0]!.score);
  });

  it('is reproduced by the what-if replay, which takes the same lifecycle events in', async () => {
    const sel = { patients: [patients['LC-OLD']!, patients['LC-LEAD']!, patients['LC-LEAD-LATE']!] };
    const result = await replay(tdb.db, await selectDevices(tdb.db, sel), sel, null);
    // The late-recorded revision's first alert was raised before the record: the replay, which
    // knows of it from the start, does not open it; every other stored alert it opens alike.
    expect(result.unmatched.replayOnly).toEqual([]);
    expect(result.unmatched.storedOnly.map((o) => `${o.device}/${o.kind}`)).toEqual(['LC-LEAD-LATE/lead_integrity']);
    expect(result.kinds.hf_decompensation?.reproduced).toBe(1);
  });

  it('lists the events to the patient’s clinicians and audits the read', async () => {
    const read = await call('GET', `/v1/patients/${patients['LC-LEAD-LATE']}/device-events`, clinician);
    expect(read.status).toBe(200);
    expect(read.body.events.map((e) => [e.kind, e.serial, e.leads, e.source])).toEqual([['lead_revision', 'LC-LEAD-LATE', ['rv'], 'admin']]);
    const audit = await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_log WHERE action = 'patient.device_events.read'`.execute(tdb.db);
    expect(audit.rows[0]!.n).toBeGreaterThanOrEqual(1);
  });

  it('refuses malformed, hostile, duplicate and unauthorised records, storing nothing', async () => {
    const p = patients['LC-SILENT']!;
    const now = iso(Date.now() - DAY);
    const before = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM device_events`.execute(tdb.db)).rows[0]!.n;
    const bad: unknown[] = [
      {},
      { kind: 'implant', at: now },
      { kind: 'transplant', at: now, serial: 'LC-SILENT' },
      { kind: 'implant', at: 'yesterday', serial: 'LC-SILENT' },
      { kind: 'implant', at: iso(Date.now() + 2 * DAY), serial: 'LC-SILENT' },
      { kind: 'implant', at: '1900-01-01T00:00:00Z', serial: 'LC-SILENT' },
      { kind: 'implant', at: now, serial: 'LC SILENT\u0000' },
      { kind: 'implant', at: now, serial: 'LC-SILENT', leads: ['rv', 'rv'] },
      { kind: 'implant', at: now, serial: 'LC-SILENT', leads: ['heart'] },
      { kind: 'lead_revision', at: now, serial: 'LC-SILENT' },
      { kind: 'generator_change', at: now, serial: 'LC-X' },
      { kind: 'generator_change', at: now, serial: 'LC-SILENT', replaces: 'LC-SILENT' },
      { kind: 'explant', at: now, serial: 'LC-SILENT', replaces: 'LC-OLD' },
      { kind: 'reprogramming', at: now, serial: 'LC-SILENT', metrics: ['not_a_metric'] },
      { kind: 'implant', at: now, serial: 'LC-SILENT', metrics: ['battery_longevity'] },
      { kind: 'implant', at: now, serial: 'LC-SILENT', extra: 1 },
      { kind: 'implant', at: now, serial: 'LC-SILENT', __proto__: { admin: true }, constructor: { prototype: {} } },
    ];
    for (const body of bad) {
      const res = await call('POST', `/v1/patients/${p}/device-events`, clinician, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(['bad_message', 'bad_json']).toContain(res.body.code);
    }
    expect((await call('POST', `/v1/patients/${p}/device-events`, clinician, '{"kind":')).status).toBe(400);
    expect((await call('POST', `/v1/patients/${p}/device-events`, clinician, { kind: 'implant', at: now, serial: 'x'.repeat(9000) })).status).toBe(413);
    // Not the patient's device; another patient's generator as the one replaced.
    expect((await call('POST', `/v1/patients/${p}/device-events`, clinician, { kind: 'implant', at: now, serial: 'LC-LEAD' })).status).toBe(404);
    expect((await call('POST', `/v1/patients/${p}/device-events`, clinician, { kind: 'generator_change', at: now, serial: 'LC-Z', replaces: 'LC-LEAD' })).status).toBe(404);
    // Other site, analyst, nobody.
    const implant = { kind: 'implant', at: iso(T0), serial: 'LC-SILENT' };
    expect((await call('POST', `/v1/patients/${p}/device-events`, otherSite, implant)).status).toBe(404);
    expect((await call('GET', `/v1/patients/${p}/device-events`, otherSite)).status).toBe(404);
    expect((await call('POST', `/v1/patients/${p}/device-events`, analyst, implant)).status).toBe(403);
    expect((await call('GET', `/v1/patients/${p}/device-events`, analyst)).status).toBe(403);
    expect((await call('GET', `/v1/patients/${p}/device-events`, '')).status).toBe(401);
    expect((await call('POST', `/v1/patients/p-99999999/device-events`, clinician, implant)).status).toBe(404);
    expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM device_events`.execute(tdb.db)).rows[0]!.n).toBe(before);
    // One implant a device: the second is a conflict. The replaced generator cannot be replaced twice.
    expect((await call('POST', `/v1/patients/${p}/device-events`, clinician, implant)).status).toBe(201);
    expect((await call('POST', `/v1/patients/${p}/device-events`, clinician, implant)).status).toBe(409);
    const again = await call('POST', `/v1/patients/${patients['LC-OLD']}/device-events`, clinician, { kind: 'generator_change', at: now, serial: 'LC-NEWER', replaces: 'LC-OLD' });
    expect(again.status).toBe(409);
  });

  it('deletes an event recorded in error, a generator change with the explant it recorded, audited', async () => {
    const del = (patient: string, event: string, cookie = clinician) => fetch(`${svc.httpUrl}/v1/patients/${patient}/device-events/${event}`, {
      method: 'DELETE', headers: { cookie, ...sameOrigin(svc.httpUrl) },
    });
    const listed = (await call('GET', `/v1/patients/${patients['LC-OLD']}/device-events`, clinician)).body.events;
    const change = listed.find((e) => e.kind === 'generator_change')!;
    expect((await del(patients['LC-OLD']!, change.id, otherSite)).status).toBe(404);
    expect((await del(patients['LC-OLD']!, change.id, analyst)).status).toBe(403);
    expect((await del(patients['LC-SILENT']!, change.id)).status).toBe(404);
    for (const hostile of ['e-0', 'e--1', 'e-99999999999999999999', '__proto__', '%00', 'e-1%20OR%201=1']) {
      expect([400, 404]).toContain((await del(patients['LC-OLD']!, hostile)).status);
    }
    const res = await del(patients['LC-OLD']!, change.id);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { events: unknown[] }).events).toEqual([]);
    const rows = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM device_events x JOIN devices d ON d.id = x.device_id WHERE d.serial IN ('LC-OLD', 'LC-NEW')`.execute(tdb.db);
    expect(rows.rows[0]!.n).toBe(0);
    expect((await del(patients['LC-OLD']!, change.id)).status).toBe(404);
    const audit = await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_log WHERE action = 'patient.device_event.delete'`.execute(tdb.db);
    expect(audit.rows[0]!.n).toBe(1);
    // The devices are rebuilt without it (the service's recovery pass clears their marks).
    await expect.poll(async () => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM engine_pending`.execute(tdb.db)).rows[0]!.n, { timeout: 15_000 }).toBe(0);
  });
});
