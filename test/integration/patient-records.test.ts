import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import type { Reading } from '../helpers/gateway.ts';
import { seedUser, signIn } from '../helpers/people.ts';
import { createGateway } from '../../src/admin/commands.ts';

// The patient page's heart-failure panel, episode list and transmission view: known readings
// give known fluid index days (the engine's accumulator, replayed over the stored readings),
// transmissions are the readings one device sent together, with what they lacked, and every
// read is the site's clinicians' and admins' only, audited.

const DAY = 86_400_000;
const T0 = Math.floor(Date.now() / DAY) * DAY - 60 * DAY + 2 * 3_600_000;
const dayAt = (d: number) => new Date(T0 + d * DAY).toISOString();

let tdb: TestDatabase;
let svc: RunningService;
let admin: string;
let clinicianA: string;
let clinicianB: string;
let analyst: string;
let clinicianAId: number;
let patient: string;

async function get(path: string, cookie: string | null) {
  const res = await fetch(`${svc.httpUrl}${path}`, { headers: cookie ? { cookie } : {} });
  const text = await res.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: res.status, body: (text ? JSON.parse(text) : null) as Record<string, any> };
}

/**
 * Thoracic impedance: 70 Ohm for 40 days (34 of them learn the reference), 65 for five days
 * (the index adds each day's shortfall below the slowly falling reference), then 75 (back
 * above: the index resets). One upload a night, each its own transmission.
 */
function impedance(d: number): number {
  return d < 40 ? 70 : d < 45 ? 65 : 75;
}

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  svc = await startService(tdb.db, tdb.url);
  const east = await seedGateway(tdb.db, 'east');
  const hall = await createGateway(tdb.db, 'east', 'hall hub');
  await seedGateway(tdb.db, 'west');
  const gw = await svc.gateway(east.key);
  let seq = 0;
  for (let d = 0; d < 48; d++) {
    const at = dayAt(d);
    const night: Reading[] = [
      { device: 'HF-1', seq: ++seq, at, metric: 'thoracic_impedance', value: impedance(d) },
      { device: 'HF-1', seq: ++seq, at, metric: 'night_heart_rate', value: 64 },
    ];
    // The last night's upload lacks activity.
    if (d !== 47) night.push({ device: 'HF-1', seq: ++seq, at, metric: 'activity', value: 250 });
    if (d === 43) night.push({ device: 'HF-1', seq: ++seq, at, metric: 'atp_delivered', value: 3 });
    if (d === 44) {
      night.push({ device: 'HF-1', seq: ++seq, at, metric: 'vt_episodes', value: 2 });
      night.push({ device: 'HF-1', seq: ++seq, at, metric: 'shocks_delivered', value: 1 });
    }
    if (d % 10 === 0) night.push({ device: 'HF-1', seq: ++seq, at, metric: 'nsvt_episodes', value: 0 });
    expect((await gw.batch(`n${d}`, night)).accepted).toBe(night.length);
  }
  gw.close();
  // One more, through another gateway of the site: a lead check a day later.
  const gw2 = await svc.gateway(hall.key);
  await gw2.batch('lead', [{ device: 'HF-1', seq: ++seq, at: dayAt(48), metric: 'rv_lead_impedance', value: 520 }]);
  gw2.close();

  const adminUser = await seedUser(tdb.db, 'admin');
  admin = await signIn(svc.httpUrl, adminUser.email);
  const a = await seedUser(tdb.db, 'clinician', ['east']);
  clinicianAId = a.id;
  clinicianA = await signIn(svc.httpUrl, a.email);
  clinicianB = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'clinician', ['west'])).email);
  analyst = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'analyst', ['east'])).email);
  const headers = { cookie: admin, origin: svc.httpUrl, 'content-type': 'application/json' };
  const created = await fetch(`${svc.httpUrl}/v1/patients`, {
    method: 'POST', headers, body: JSON.stringify({ site: 'east', familyName: 'Fluid', givenName: 'Flo', dateOfBirth: '1944-04-04' }),
  });
  patient = ((await created.json()) as { patient: { id: string } }).patient.id;
  expect((await fetch(`${svc.httpUrl}/v1/patients/${patient}/devices`, { method: 'POST', headers, body: JSON.stringify({ serial: 'HF-1', deviceType: 'crt_d' }) })).status).toBe(200);

  // Risk changes as the engine stores them: Medium before the period, High and Low inside it.
  const device = await tdb.db.selectFrom('devices').select('id').where('serial', '=', 'HF-1').executeTakeFirstOrThrow();
  await sql`
    INSERT INTO risk_changes (device_id, at, seq, status, previous, score) VALUES
      (${device.id}, ${dayAt(20)}, 1, 'Medium', 'Low', 0.22),
      (${device.id}, ${dayAt(42)}, 2, 'High', 'Medium', 0.41),
      (${device.id}, ${dayAt(46)}, 3, 'Low', 'High', 0.05)`.execute(tdb.db);
  // An episode a device clinic message described (HL7 IDCO).
  await sql`
    INSERT INTO device_episodes (serial, episode_key, class, type, vendor_type, at, duration_s, therapy, result, reported_at)
    VALUES ('HF-1', 'k1', 'vf', 'Epis_VF', 'MDC_IDC_ENUM_EPISODE_TYPE Epis_VF', ${dayAt(46)}, 12, '1 shock 35 J', 'MDC_IDC_ENUM_EPISODE_THERAPY_RESULT_Success', ${dayAt(47)})`.execute(tdb.db);
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

describe('GET /v1/patients/:id/heart-failure', () => {
  it('gives the engine’s fluid index day by day: learning, accumulating the shortfall, reset when impedance rises back', async () => {
    const from = dayAt(38);
    const res = await get(`/v1/patients/${patient}/heart-failure?from=${from}&to=${dayAt(49)}`, clinicianA);
    expect(res.status).toBe(200);
    const [device] = res.body.devices;
    expect(device).toMatchObject({ serial: 'HF-1', threshold: 60, riskAtFrom: 'Medium' });
    const days = device.days.map((d: Record<string, unknown>) => [d.at, d.impedance, d.reference, d.fluidIndex]);
    // Day 40: 5 Ohm below the reference of 70; the reference then falls by 1/30 of the gap.
    // Day 41: 69.83 - 65 = 4.83 more; day 42: 69.67 - 65 = 4.67 more; day 45: above, reset.
    expect(days.slice(0, 8)).toEqual([
      [dayAt(38), 70, 70, 0],
      [dayAt(39), 70, 70, 0],
      [dayAt(40), 65, 69.83, 5],
      [dayAt(41), 65, 69.67, 9.83],
      [dayAt(42), 65, 69.52, 14.51],
      [dayAt(43), 65, 69.37, 19.02],
      [dayAt(44), 65, 69.22, 23.39],
      [dayAt(45), 75, 69.8, 0],
    ]);
    expect(device.days).toHaveLength(10);
    expect(device.days.every((d: { threshold: number }) => d.threshold === 60)).toBe(true);
    // The changes stored in the period, oldest first: those above, and any the engine made itself.
    const stored = await sql<{ at: Date; status: string }>`
      SELECT at, status FROM risk_changes WHERE at >= ${from} AND at < ${dayAt(49)} ORDER BY at, seq`.execute(tdb.db);
    expect(res.body.riskChanges.map((c: { at: string; status: string }) => [c.at, c.status])).toEqual(stored.rows.map((r) => [r.at.toISOString(), r.status]));
    expect(res.body.riskChanges).toEqual(expect.arrayContaining([
      { device: 'HF-1', at: dayAt(42), status: 'High', previous: 'Medium', score: 0.41 },
      { device: 'HF-1', at: dayAt(46), status: 'Low', previous: 'High', score: 0.05 },
    ]));
  });

  it('counts nothing while the reference learns (the first 34 impedance days)', async () => {
    const res = await get(`/v1/patients/${patient}/heart-failure?from=${dayAt(0).slice(0, 10)}&to=${dayAt(36)}`, admin);
    expect(res.status).toBe(200);
    const days = res.body.devices[0].days as Array<{ fluidIndex: number | null }>;
    expect(days).toHaveLength(36);
    expect(days.slice(0, 34).every((d) => d.fluidIndex === null)).toBe(true);
    expect(days.slice(34).map((d) => d.fluidIndex)).toEqual([0, 0]);
    expect(res.body.devices[0].riskAtFrom).toBeNull();
  });
});

describe('GET /v1/patients/:id/episodes', () => {
  it('lists the counted episodes and therapies with the IDCO episode, newest first', async () => {
    const res = await get(`/v1/patients/${patient}/episodes?from=${dayAt(0)}`, clinicianA);
    expect(res.status).toBe(200);
    expect(res.body.truncated).toBe(false);
    const list = res.body.episodes.map((e: Record<string, unknown>) => [e.source, e.class, e.count, e.at]);
    expect(list[0]).toEqual(['idco', 'vf', null, dayAt(46)]);
    expect(list.slice(1, 3)).toEqual(expect.arrayContaining([['reading', 'vt', 2, dayAt(44)], ['reading', 'shock', 1, dayAt(44)]]));
    expect(list[3]).toEqual(['reading', 'atp', 3, dayAt(43)]);
    // NSVT counters of zero are not episodes.
    expect(list).toHaveLength(4);
    expect(res.body.episodes[0]).toMatchObject({ durationS: 12, therapy: '1 shock 35 J', timeOf: 'device', receivedAt: null });
    expect(res.body.episodes[1].receivedAt).toMatch(/^\d{4}-/);
  });

  it('keeps to the period', async () => {
    const res = await get(`/v1/patients/${patient}/episodes?from=${dayAt(44)}&to=${dayAt(45)}`, clinicianA);
    expect(res.body.episodes.map((e: { class: string }) => e.class).sort()).toEqual(['shock', 'vt']);
  });
});

describe('GET /v1/patients/:id/transmissions', () => {
  it('groups the readings received together, names the gateway and what the upload lacked', async () => {
    const res = await get(`/v1/patients/${patient}/transmissions?limit=3`, clinicianA);
    expect(res.status).toBe(200);
    const [lead, last, before] = res.body.transmissions;
    expect(lead).toMatchObject({
      device: 'HF-1', gateway: 'hall hub', firstAt: dayAt(48), lastAt: dayAt(48), readings: 1, metrics: ['rv_lead_impedance'],
      missing: ['night_heart_rate', 'activity', 'thoracic_impedance'],
    });
    expect(last).toMatchObject({ gateway: 'test gateway', firstAt: dayAt(47), readings: 2, metrics: ['night_heart_rate', 'thoracic_impedance'], missing: ['activity'] });
    expect(before).toMatchObject({ firstAt: dayAt(46), readings: 3, missing: [] });
    expect(new Date(last.receivedAt).getTime()).toBeLessThanOrEqual(new Date(lead.receivedAt).getTime());
    expect(typeof res.body.next).toBe('string');
  });

  it('pages through every transmission once, and says nothing is missing before there is a usual set', async () => {
    const seen: string[] = [];
    let next: string | null = null;
    let oldest: Record<string, unknown> | undefined;
    for (let i = 0; i < 30; i++) {
      const res = await get(`/v1/patients/${patient}/transmissions?limit=7${next ? `&before=${next}` : ''}`, clinicianA);
      expect(res.status).toBe(200);
      for (const t of res.body.transmissions) seen.push(`${t.firstAt}|${t.gateway}`);
      oldest = res.body.transmissions.at(-1) ?? oldest;
      next = res.body.next;
      if (!next) break;
    }
    expect(seen).toHaveLength(49);
    expect(new Set(seen).size).toBe(49);
    // The first three uploads have fewer than three before them: nothing can be called missing.
    expect(oldest).toMatchObject({ firstAt: dayAt(0), missing: null });
  });
});

describe('the three routes refuse', () => {
  const routes = ['heart-failure', 'episodes', 'transmissions'];

  it('malformed, oversized and hostile parameters with 400', async () => {
    const bad = [
      'from=2026-13-45', 'from=yesterday', `from=${'9'.repeat(41)}`, `to=${dayAt(1)}&from=${dayAt(2)}`,
      'from=2020-01-01&to=2026-01-01', 'unknown=1', "from=2026-01-01'%20OR%201=1--", 'from=%00',
    ];
    for (const r of routes) {
      for (const q of bad) {
        const res = await get(`/v1/patients/${patient}/${r}?${q}`, clinicianA);
        expect(res.status, `${r}?${q}`).toBe(400);
        expect(res.body.code).toBe('bad_message');
      }
    }
    for (const q of ['limit=0', 'limit=201', 'limit=abc', 'limit=-1', 'limit=1e2', 'before=x', 'before=1-2', "before=1-1-1'%20OR%20'1'='1", `before=${'1'.repeat(50)}`]) {
      const res = await get(`/v1/patients/${patient}/transmissions?${q}`, clinicianA);
      expect(res.status, q).toBe(400);
    }
  });

  it('another site’s patient, or none, as not found; other roles and no session', async () => {
    for (const r of routes) {
      expect((await get(`/v1/patients/${patient}/${r}`, clinicianB)).status).toBe(404);
      expect((await get(`/v1/patients/p-999999/${r}`, clinicianA)).status).toBe(404);
      expect((await get(`/v1/patients/p-1%27%3BDROP%20TABLE%20readings/${r}`, clinicianA)).status).toBe(404);
      expect((await get(`/v1/patients/${patient}/${r}`, analyst)).status).toBe(403);
      expect((await get(`/v1/patients/${patient}/${r}`, null)).status).toBe(401);
    }
  });

  it('audits every read, and writes nothing for a refused one', async () => {
    const before = await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_log WHERE user_id = ${clinicianAId} AND action LIKE 'patient.%'`.execute(tdb.db);
    for (const r of routes) await get(`/v1/patients/${patient}/${r}`, clinicianA);
    await get(`/v1/patients/${patient}/episodes?from=bad`, clinicianA);
    const rows = await sql<{ action: string; route: string; patient_id: number }>`
      SELECT action, route, patient_id FROM audit_log WHERE user_id = ${clinicianAId} AND action LIKE 'patient.%' ORDER BY id OFFSET ${before.rows[0]!.n}`.execute(tdb.db);
    expect(rows.rows).toEqual([
      { action: 'patient.heart_failure', route: '/v1/patients/:id/heart-failure', patient_id: Number(patient.slice(2)) },
      { action: 'patient.episodes', route: '/v1/patients/:id/episodes', patient_id: Number(patient.slice(2)) },
      { action: 'patient.transmissions', route: '/v1/patients/:id/transmissions', patient_id: Number(patient.slice(2)) },
    ]);
  });
});
