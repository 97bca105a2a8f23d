import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import type { Reading } from '../helpers/gateway.ts';
import { seedUser, signIn } from '../helpers/people.ts';

// connectivity_loss in event time, through the running service, with the check every 100 ms:
// - weeks of history uploaded fast through two gateways, one days behind the other, raise no
//   alert for devices never silent, and a real three-day gap inside the history is stored as
//   a past episode (patient page, export), not alerted; a device still silent when the history
//   reaches now is alerted;
// - live, a device silent while the other devices of its gateway keep sending is alerted after
//   48 h of their event time, and a gateway that stops while the site's others go on makes
//   its devices silent, as before.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const KEY = 'test export key, long enough to be accepted';
let tdb: TestDatabase;
let svc: RunningService;
let seq = 0;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  svc = await startService(tdb.db, tdb.url, { ENGINE_CONNECTIVITY_CHECK_MS: '100', EXPORT_KEY: KEY });
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

/** One nightly upload at event time `at`: two readings a minute apart. */
const upload = (device: string, at: number): Reading[] => ['activity', 'night_heart_rate'].map((metric, i) => ({
  device, seq: ++seq, at: new Date(at + i * 60_000).toISOString(), metric, value: 60 + (seq % 7),
}));

async function silenceAlerts(site: string) {
  const res = await sql<{ serial: string; summary: string; trigger: { at: string } }>`
    SELECT d.serial, a.summary, a.trigger FROM alerts a
    JOIN devices d ON d.id = a.device_id JOIN sites s ON s.id = a.site_id
    WHERE a.kind = 'connectivity_loss' AND s.code = ${site} ORDER BY d.serial`.execute(tdb.db);
  return res.rows;
}

async function episodes(site: string) {
  const res = await sql<{ serial: string; from_at: Date; to_at: Date }>`
    SELECT d.serial, c.from_at, c.to_at FROM connectivity_episodes c
    JOIN devices d ON d.id = c.device_id JOIN sites s ON s.id = d.site_id
    WHERE s.code = ${site} ORDER BY d.serial, c.to_at`.execute(tdb.db);
  return res.rows.map((r) => ({ serial: r.serial, from: r.from_at.getTime(), to: r.to_at.getTime() }));
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function call(method: string, path: string, cookie: string, body?: unknown) {
  const res = await fetch(`${svc.httpUrl}${path}`, {
    method, body: body === undefined ? undefined : JSON.stringify(body),
    headers: { cookie, origin: svc.httpUrl, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
  });
  expect(res.status, `${method} ${path}: ${await res.clone().text()}`).toBeLessThan(300);
  return res;
}

describe('connectivity_loss in event time', () => {
  it('raises nothing for history uploaded fast, stores its real gap as a past episode, and alerts a device still silent at now', async () => {
    const site = 'hist1';
    const a = await svc.gateway((await seedGateway(tdb.db, site)).key);
    const b = await svc.gateway((await seedGateway(tdb.db, site)).key);
    // Six weeks of nights, the last one 12 h ago. AX has nothing on days 20-22 (silent four
    // days less a minute); A2's history ends on day 35. B's devices are never silent.
    const last = Date.now() - 12 * HOUR;
    const night = (d: number) => last - (41 - d) * DAY;
    const onA = (d: number) => [
      ...upload('A1', night(d)),
      ...(d >= 20 && d <= 22 ? [] : upload('AX', night(d))),
      ...(d > 35 ? [] : upload('A2', night(d))),
    ];
    const onB = (d: number) => [...upload('B1', night(d)), ...upload('B2', night(d))];
    // Two nights per batch, B four nights behind A, with pauses longer than two checks, so the
    // check sees B behind A and AX in its gap, none of them still arriving.
    for (let d = 0; d <= 45; d += 2) {
      if (d <= 41) await a.batch(`a${d}`, [d, d + 1].filter((n) => n <= 41).flatMap(onA));
      if (d >= 4) await b.batch(`b${d}`, [d - 4, d - 3].flatMap(onB));
      await pause(250);
    }
    // A2, silent since day 35 while A goes on up to now, is the only alert (once its last
    // reading, which arrived as history, is no longer taken for a backlog still arriving).
    await expect.poll(async () => (await silenceAlerts(site)).map((x) => x.serial), { timeout: 20_000, interval: 100 }).toEqual(['A2']);
    await pause(500);
    const alerts = await silenceAlerts(site);
    expect(alerts.map((x) => x.serial)).toEqual(['A2']);
    expect(alerts[0]!.trigger.at).toBe(new Date(night(35) + 60_000).toISOString());
    // When A reached now, B was still in its history: only A's devices were reporting.
    expect(alerts[0]!.summary).toMatch(/^No reading for 144 h while [24] other devices of the site reported$/);
    // AX's gap is history: one episode, from its last reading before to its first after.
    expect(await episodes(site)).toEqual([{ serial: 'AX', from: night(19) + 60_000, to: night(23) }]);

    // On the patient page and in the export.
    const admin = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'admin')).email);
    const created = (await (await call('POST', '/v1/patients', admin, { site, familyName: 'Gap', givenName: 'Ann', dateOfBirth: '1950-02-03' })).json()) as { patient: { id: string } };
    const patient = created.patient.id;
    await call('POST', `/v1/patients/${patient}/devices`, admin, { serial: 'AX' });
    const page = (await (await call('GET', `/v1/patients/${patient}`, admin)).json()) as { connectivityEpisodes: unknown[] };
    expect(page.connectivityEpisodes).toEqual([{
      device: 'AX', from: new Date(night(19) + 60_000).toISOString(), to: new Date(night(23)).toISOString(), hours: 95, limitHours: 48, alerted: false,
    }]);
    const analyst = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'analyst', [site])).email);
    const ndjson = await (await call('GET', `/v1/exports/timeline?site=${site}&format=ndjson`, analyst)).text();
    const rows = ndjson.trim().split('\n').map((l) => JSON.parse(l) as Record<string, string | null>)
      .filter((r) => r.event === 'connectivity_lost' || r.event === 'connectivity_restored');
    expect(rows.map((r) => [r.event, r.alert, r.kind])).toEqual([
      ['connectivity_lost', null, 'connectivity_loss'], ['connectivity_restored', null, 'connectivity_loss'],
    ]);
    // Shifted like every time of the subject: the interval is kept.
    expect(Date.parse(rows[1]!.at!) - Date.parse(rows[0]!.at!)).toBe(4 * DAY - 60_000);
    a.close();
    b.close();
  });

  it('alerts a device of a live gateway after 48 h of the gateway\'s event time, and records the silence once it ends', async () => {
    const site = 'live1';
    const g = await svc.gateway((await seedGateway(tdb.db, site)).key);
    // Readings every 6 h; LS's last one 50 h before the newest.
    const base = Date.now() - HOUR;
    const at = (hoursBefore: number) => base - hoursBefore * HOUR;
    const steps = (device: string, from: number, to: number) => {
      const out: Reading[] = [];
      for (let h = from; h >= to; h -= 6) out.push(...upload(device, at(h)));
      return out;
    };
    await g.batch('a', [...steps('L1', 74, 8), ...steps('L2', 74, 8), ...steps('LS', 74, 50)]);
    // Delivered when they were taken, as a live gateway does.
    await sql`UPDATE readings r SET received_at = r.at FROM devices d WHERE d.id = r.device_id AND d.serial IN ('L1', 'L2', 'LS')`.execute(tdb.db);
    // 47 h after LS's last reading (the readings are live, and the check has run): nothing.
    await g.batch('b', [...upload('L1', at(3)), ...upload('L2', at(3))]);
    await pause(800);
    expect(await silenceAlerts(site)).toEqual([]);
    // 50 h: alerted, with its last reading as trigger.
    await g.batch('c', [...upload('L1', at(0)), ...upload('L2', at(0))]);
    await expect.poll(async () => (await silenceAlerts(site)).map((x) => x.serial), { timeout: 10_000, interval: 50 }).toEqual(['LS']);
    const [alert] = await silenceAlerts(site);
    expect(alert!.trigger.at).toBe(new Date(at(50) + 60_000).toISOString());
    expect(alert!.summary).toBe('No reading for 50 h while 2 other devices of the site reported');
    expect(await episodes(site)).toEqual([]);
    // LS comes back: the silence is recorded, and the page says it was alerted.
    await g.batch('d', upload('LS', base + 10 * 60_000));
    expect(await episodes(site)).toEqual([{ serial: 'LS', from: at(50) + 60_000, to: base + 10 * 60_000 }]);
    expect(await silenceAlerts(site)).toHaveLength(1);
    const admin = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'admin')).email);
    const created = (await (await call('POST', '/v1/patients', admin, { site, familyName: 'Live', givenName: 'Lee', dateOfBirth: '1949-05-06' })).json()) as { patient: { id: string } };
    await call('POST', `/v1/patients/${created.patient.id}/devices`, admin, { serial: 'LS' });
    const page = (await (await call('GET', `/v1/patients/${created.patient.id}`, admin)).json()) as { connectivityEpisodes: unknown[] };
    expect(page.connectivityEpisodes).toEqual([expect.objectContaining({ device: 'LS', hours: 50, alerted: true })]);
    g.close();
  });

  it('alerts the devices of a gateway that stopped while the site\'s other gateway goes on', async () => {
    const site = 'live2';
    const relay = await svc.gateway((await seedGateway(tdb.db, site)).key);
    const other = await svc.gateway((await seedGateway(tdb.db, site)).key);
    const base = Date.now() - HOUR;
    await relay.batch('a', [...upload('R1', base - 50 * HOUR), ...upload('R2', base - 49 * HOUR)]);
    await other.batch('a', upload('O1', base - 50 * HOUR));
    // The relay delivered them when they were taken, two days ago, and nothing since.
    await sql`UPDATE readings r SET received_at = r.at FROM devices d WHERE d.id = r.device_id AND d.serial IN ('R1', 'R2')`.execute(tdb.db);
    await other.batch('b', upload('O1', base));
    await expect.poll(async () => (await silenceAlerts(site)).map((x) => x.serial), { timeout: 10_000, interval: 50 }).toEqual(['R1', 'R2']);
    relay.close();
    other.close();
  });
});
