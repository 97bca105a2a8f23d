import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import type { Reading } from '../helpers/gateway.ts';
import { sameOrigin, seedUser, signIn } from '../helpers/people.ts';
import { createPatient, enrolDevice } from '../../src/patients/service.ts';
import { testVault } from '../helpers/keys.ts';

// The worklists: devices overdue for a transmission (held to the connectivity check's own
// limit for each device), and the open and acknowledged alerts by assignee; a clinician sees
// her sites, an admin all; every read audited.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
let tdb: TestDatabase;
let svc: RunningService;
let clinician: string;
let clinicianId: number;
let clinicianName: string;
let otherSite: string;
let noSites: string;
let analyst: string;
let admin: string;
const patients: Record<string, string> = {};
let seq = 0;

interface OverdueDevice { device: string; site: string; deviceType: string | null; patientId: string | null; patientName: string | null; lastReadingAt: string; lastReceivedAt: string; limitHours: number; limitSource: string; expectedHours: number | null; overdueHours: number }
interface Group { assignee: { email: string; name: string } | null; counts: { high: number; medium: number; low: number; total: number }; alerts: Array<{ id: string; device: string; patientId: string | null; patientName: string | null; priority: string; status: string }> }
type Answer = { devices?: OverdueDevice[]; total?: number; groups?: Group[]; code?: string };

const get = async (path: string, cookie: string) => {
  const res = await fetch(`${svc.httpUrl}${path}`, { headers: { cookie } });
  return { status: res.status, body: (await res.json()) as Answer };
};
const post = async (path: string, cookie: string, body: unknown) => {
  const res = await fetch(`${svc.httpUrl}${path}`, { method: 'POST', headers: { cookie, 'content-type': 'application/json', ...sameOrigin(svc.httpUrl) }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const reading = (device: string, at: number, metric = 'night_heart_rate', value = 62): Reading => ({ device, seq: ++seq, at: new Date(at).toISOString(), metric, value });
/** The device's readings arrived `hoursAgo` (wall clock), as if it had gone quiet then. */
const receivedAgo = (serial: string, hoursAgo: number) =>
  sql`UPDATE readings SET received_at = now() - make_interval(hours => ${hoursAgo}) WHERE device_id = (SELECT id FROM devices WHERE serial = ${serial})`.execute(tdb.db);

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  const { key } = await seedGateway(tdb.db, 'wl');
  const other = await seedGateway(tdb.db, 'wl-other');
  svc = await startService(tdb.db, tdb.url, { ENGINE_CONNECTIVITY_CHECK_MS: '3600000' });
  const c = await seedUser(tdb.db, 'clinician', ['wl']);
  clinicianId = c.id;
  clinicianName = c.name;
  clinician = await signIn(svc.httpUrl, c.email);
  otherSite = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'clinician', ['wl-other'])).email);
  noSites = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'clinician', [])).email);
  analyst = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'analyst', ['wl'])).email);
  admin = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'admin')).email);
  const vault = await testVault(tdb.db);
  const sites = await sql<{ id: number; code: string }>`SELECT id, code FROM sites`.execute(tdb.db);
  const siteId = (code: string) => sites.rows.find((s) => s.code === code)!.id;
  const enrolled = [['WL-1', 'One', 'wl', 'icd'], ['WL-2', 'Two', 'wl', 'pacemaker'], ['WL-3', 'Three', 'wl', 'pacemaker'], ['WL-4', 'Four', 'wl', 'loop_recorder'], ['WL-6', 'Six', 'wl', 'crt_d'], ['WO-1', 'Other', 'wl-other', 'icd']] as const;
  for (const [serial, name, site, type] of enrolled) {
    const id = await createPatient(tdb.db, vault, { site, familyName: name, givenName: 'Ann', dateOfBirth: '1950-01-01' }, Date.now());
    await enrolDevice(tdb.db, vault, { id, siteId: siteId(site) }, serial, { createDevice: true, deviceType: type });
    patients[serial] = `p-${id}`;
  }
  const now = Date.now();
  const gw = await svc.gateway(key);
  // WL-5 is registered by its first reading and never enrolled.
  for (const serial of ['WL-1', 'WL-2', 'WL-3', 'WL-4', 'WL-5', 'WL-6']) {
    await gw.batch(`h-${serial}`, [reading(serial, now - 6 * DAY), reading(serial, now - 5 * DAY - HOUR)]);
  }
  // A ventricular episode each: a high alert.
  for (const serial of ['WL-1', 'WL-2', 'WL-5', 'WL-6']) await gw.batch(`vt-${serial}`, [reading(serial, now - 5 * DAY, 'vt_episodes', 1)]);
  gw.close();
  const gwo = await svc.gateway(other.key);
  await gwo.batch('o', [reading('WO-1', now - 5 * DAY, 'vt_episodes', 1)]);
  gwo.close();
  await receivedAgo('WL-1', 120);
  await receivedAgo('WL-2', 1);
  await receivedAgo('WL-3', 120);
  await receivedAgo('WL-4', 120);
  await receivedAgo('WL-5', 72);
  await receivedAgo('WL-6', 2);
  await receivedAgo('WO-1', 100);
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

describe('the overdue worklist', () => {
  it('lists the devices past their silence limit, most overdue first, with patient, type and times', async () => {
    const res = await get('/v1/worklists/overdue', clinician);
    expect(res.status).toBe(200);
    expect(res.body.devices!.map((d) => d.device)).toEqual(['WL-1', 'WL-3', 'WL-4', 'WL-5']);
    const one = res.body.devices![0]!;
    expect(one).toMatchObject({ site: 'wl', deviceType: 'icd', patientId: patients['WL-1'], patientName: 'Ann One', limitHours: 48, limitSource: 'floor', expectedHours: null });
    expect(one.overdueHours).toBeGreaterThanOrEqual(71.9);
    expect(one.overdueHours).toBeLessThan(73);
    expect(Date.now() - Date.parse(one.lastReceivedAt)).toBeGreaterThanOrEqual(120 * HOUR - 60_000);
    // The newest reading's event time, not its arrival.
    expect(Date.now() - Date.parse(one.lastReadingAt)).toBeGreaterThanOrEqual(5 * DAY - 60_000);
    const five = res.body.devices!.find((d) => d.device === 'WL-5')!;
    expect(five).toMatchObject({ patientId: null, patientName: null, deviceType: null });
    expect(res.body.total).toBe(4);
  });

  it('leaves out an explanted device', async () => {
    const res = await post(`/v1/patients/${patients['WL-3']}/device-events`, clinician, { kind: 'explant', at: new Date(Date.now() - 4 * DAY).toISOString(), serial: 'WL-3' });
    expect(res.status).toBe(201);
    expect((await get('/v1/worklists/overdue', clinician)).body.devices!.map((d) => d.device)).toEqual(['WL-1', 'WL-4', 'WL-5']);
  });

  it('holds a device to its own cadence: a weekly device five days quiet is not overdue', async () => {
    const put = await fetch(`${svc.httpUrl}/v1/patients/${patients['WL-4']}/engine-settings`, {
      method: 'PUT', headers: { cookie: clinician, 'content-type': 'application/json', ...sameOrigin(svc.httpUrl) }, body: JSON.stringify({ connectivity: { expectedHours: 168 } }),
    });
    expect(put.status).toBe(200);
    expect((await get('/v1/worklists/overdue', clinician)).body.devices!.map((d) => d.device)).toEqual(['WL-1', 'WL-5']);
    // Quiet for longer than twice its week, it is overdue against that limit.
    await receivedAgo('WL-4', 340);
    const four = (await get('/v1/worklists/overdue', clinician)).body.devices!.find((d) => d.device === 'WL-4');
    expect(four).toMatchObject({ limitHours: 336, limitSource: 'configured', expectedHours: 168 });
    expect(four!.overdueHours).toBeGreaterThanOrEqual(3.9);
  });

  it('shows a clinician her sites only, an admin every site, and caps the list', async () => {
    expect((await get('/v1/worklists/overdue', otherSite)).body.devices!.map((d) => d.device)).toEqual(['WO-1']);
    expect((await get('/v1/worklists/overdue', noSites)).body).toEqual({ devices: [], total: 0 });
    const all = await get('/v1/worklists/overdue', admin);
    expect(all.body.devices!.map((d) => d.device).sort()).toEqual(['WL-1', 'WL-4', 'WL-5', 'WO-1']);
    const capped = await get('/v1/worklists/overdue?limit=1', admin);
    expect(capped.body.devices).toHaveLength(1);
    expect(capped.body.total).toBe(4);
  });
});

describe('the assigned worklist', () => {
  it('groups open and acknowledged alerts by assignee, the unassigned first, counted by priority', async () => {
    const { alerts } = (await (await fetch(`${svc.httpUrl}/v1/alerts`, { headers: { cookie: admin } })).json()) as { alerts: Array<{ id: string; device: string }> };
    const idOf = (serial: string) => alerts.find((a) => a.device === serial)!.id;
    expect((await post(`/v1/alerts/${idOf('WL-2')}/assign`, clinician, { assignee: clinicianId })).status).toBe(200);
    expect((await post(`/v1/alerts/${idOf('WL-2')}/acknowledge`, clinician, {})).status).toBe(200);
    await sql`UPDATE alerts SET priority = 'low' WHERE id = ${Number(idOf('WL-5').slice(2))}`.execute(tdb.db);
    await sql`UPDATE alerts SET status = 'resolved', resolved_at = now(), resolution = 'not_actionable' WHERE id = ${Number(idOf('WL-6').slice(2))}`.execute(tdb.db);

    const res = await get('/v1/worklists/assigned', clinician);
    expect(res.status).toBe(200);
    const [unassigned, mine, ...rest] = res.body.groups!;
    expect(rest).toEqual([]);
    expect(unassigned!.assignee).toBeNull();
    expect(unassigned!.counts).toEqual({ high: 1, medium: 0, low: 1, total: 2 });
    expect(unassigned!.alerts.map((a) => [a.device, a.priority, a.patientName])).toEqual([['WL-1', 'high', 'Ann One'], ['WL-5', 'low', null]]);
    expect(mine!.assignee).toMatchObject({ name: clinicianName });
    expect(mine!.counts).toEqual({ high: 1, medium: 0, low: 0, total: 1 });
    expect(mine!.alerts).toMatchObject([{ device: 'WL-2', status: 'acknowledged', patientId: patients['WL-2'] }]);
  });

  it('shows a clinician her sites only, an admin every site, and caps each group but not its counts', async () => {
    const other = (await get('/v1/worklists/assigned', otherSite)).body.groups!;
    expect(other.map((g) => [g.assignee, g.alerts.map((a) => a.device)])).toEqual([[null, ['WO-1']]]);
    expect((await get('/v1/worklists/assigned', noSites)).body).toEqual({ groups: [] });
    const all = (await get('/v1/worklists/assigned', admin)).body.groups!;
    expect(all[0]!.counts.total).toBe(3);
    const capped = (await get('/v1/worklists/assigned?limit=1', admin)).body.groups!;
    expect(capped[0]!.alerts).toHaveLength(1);
    expect(capped[0]!.counts.total).toBe(3);
  });
});

describe('both worklists', () => {
  it('refuse bad query strings, analysts, and callers without a session', async () => {
    for (const path of ['/v1/worklists/overdue', '/v1/worklists/assigned']) {
      for (const q of ['limit=0', 'limit=9999', 'limit=abc', 'limit=1&limit=2', 'limit=%27%3B--', 'site=wl-other', 'limit=12345']) {
        const res = await get(`${path}?${q}`, clinician);
        expect(res.status, `${path}?${q}`).toBe(400);
        expect(res.body.code).toBe('bad_message');
      }
      expect((await get(path, analyst)).status).toBe(403);
      expect((await get(path, '')).status).toBe(401);
      expect((await get(path, 'session=forged')).status).toBe(401);
    }
    expect((await get('/v1/worklists/overdue?limit=1001', clinician)).status).toBe(400);
    expect((await get('/v1/worklists/assigned?limit=501', clinician)).status).toBe(400);
  });

  it('audit every read with the patients and devices listed, never their names', async () => {
    const rows = await sql<{ action: string; user_id: number | null; route: string; detail: { patients?: number[]; devices?: number[] } }>`
      SELECT action, user_id, route, detail FROM audit_log WHERE action LIKE 'worklist.%' ORDER BY id`.execute(tdb.db);
    const mine = rows.rows.filter((r) => r.user_id === clinicianId);
    const overdue = mine.find((r) => r.action === 'worklist.overdue.read')!;
    expect(overdue.route).toBe('/v1/worklists/overdue');
    expect(overdue.detail.patients).toContain(Number(patients['WL-1']!.slice(2)));
    const assigned = mine.find((r) => r.action === 'worklist.assigned.read')!;
    expect(assigned.route).toBe('/v1/worklists/assigned');
    expect(assigned.detail.devices!.length).toBe(3);
    expect(JSON.stringify(rows.rows)).not.toMatch(/Ann|WL-\d/);
    // Refused reads write nothing.
    expect(rows.rows.every((r) => r.user_id !== null)).toBe(true);
  });
});
