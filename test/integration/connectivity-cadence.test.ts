import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import { TestGateway, type Reading } from '../helpers/gateway.ts';
import { seedUser, signIn } from '../helpers/people.ts';

// connectivity_loss held to each device's expected cadence, through the running service: a
// weekly transmitter stays quiet past 48 h while a daily one of the same site alerts, learnt
// from its uploads (in memory, and from its snapshot after a restart) or configured for its
// patient from day one. Every negative is read when a daily device of the same site has just
// alerted, at a known event time (its summary says how long): no wall-clock waits. The 50 days
// end ten days ago, each upload stored as delivered when it was taken (a live site), since
// history uploaded late raises no alert.

const DAY = 86_400_000;
const T0 = Math.floor(Date.now() / DAY) * DAY - 60 * DAY + 2 * 3_600_000;
let tdb: TestDatabase;
let svc: RunningService;
let seq = 0;

const ENV = { ENGINE_CONNECTIVITY_CHECK_MS: '100' };

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  svc = await startService(tdb.db, tdb.url, ENV);
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

/** One upload: two readings a minute apart. */
const upload = (device: string, day: number): Reading[] => ['activity', 'night_heart_rate'].map((metric, i) => ({
  device, seq: ++seq, at: new Date(T0 + day * DAY + i * 60_000).toISOString(), metric, value: 60 + day,
}));
const nights = (devices: string[], from: number, to: number) =>
  devices.flatMap((d) => Array.from({ length: to - from + 1 }, (_, i) => upload(d, from + i)).flat());

async function silenceAlerts(site: string) {
  const res = await sql<{ serial: string; occurrences: number; summary: string; evidence: Record<string, unknown> }>`
    SELECT d.serial, a.occurrences, a.summary, a.evidence FROM alerts a
    JOIN devices d ON d.id = a.device_id JOIN sites s ON s.id = a.site_id
    WHERE a.kind = 'connectivity_loss' AND s.code = ${site} ORDER BY d.serial`.execute(tdb.db);
  return res.rows;
}

/** Send a batch, then store its readings as received when they were taken. */
async function live(gw: TestGateway, id: string, readings: Reading[]) {
  await gw.batch(id, readings);
  await sql`UPDATE readings r SET received_at = r.at FROM devices d
            WHERE d.id = r.device_id AND d.serial = ANY(${[...new Set(readings.map((x) => x.device))]}::text[])
              AND r.seq = ANY(${readings.map((x) => x.seq)}::int8[])`.execute(tdb.db);
}

/** The site's alerts once `serial` has one. */
async function whenAlerted(site: string, serial: string) {
  await expect.poll(async () => (await silenceAlerts(site)).map((a) => a.serial), { timeout: 15_000, interval: 50 }).toContain(serial);
  return silenceAlerts(site);
}

describe('connectivity_loss with expected cadences', () => {
  it('learns a weekly cadence: quiet at 3 and 6 days, in memory and after a restart, alerting after two weeks', async () => {
    const { key } = await seedGateway(tdb.db, 'cad1');
    let gw = await svc.gateway(key);
    // W uploads weekly (6 uploads, 5 intervals); D, D2 and R nightly.
    await live(gw, 'w', [0, 7, 14, 21, 28, 35].flatMap((d) => upload('W', d)));
    await live(gw, 'n1', nights(['D', 'D2', 'R'], 29, 35));
    // Day 38: D (last day 35) is silent 72 h, and so is W.
    await live(gw, 'n2', nights(['D2', 'R'], 36, 38));
    const first = await whenAlerted('cad1', 'D');
    expect(first.map((a) => a.serial)).toEqual(['D']);
    // W, within its cadence, counts as reporting.
    expect(first[0]!.summary).toMatch(/^No reading for 72 h while 3 other devices of the site reported$/);
    expect(Object.keys(first[0]!.evidence).sort()).toEqual(['lastSeenAt', 'silentHours', 'siteDevicesReporting']);

    // A restart: W's state is saved at shutdown and not loaded again (it sends nothing more),
    // so the check reads its cadence from the snapshot.
    gw.close();
    await svc.close();
    svc = await startService(tdb.db, tdb.url, ENV);
    gw = await svc.gateway(key);
    // Day 41: D2 (last day 38) is silent 72 h, W 6 days.
    await live(gw, 'n3', nights(['R'], 39, 41));
    const second = await whenAlerted('cad1', 'D2');
    expect(second.map((a) => a.serial)).toEqual(['D', 'D2']);
    expect(second[1]!.summary).toMatch(/^No reading for 72 h /);

    // Day 50: W is silent 15 days, past twice its weekly cadence.
    await live(gw, 'n4', nights(['R'], 42, 50));
    const third = await whenAlerted('cad1', 'W');
    const w = third.find((a) => a.serial === 'W')!;
    expect(w.summary).toMatch(/^No reading for 360 h while .*; it transmits about every 7 days \(learnt\)$/);
    expect(w.evidence).toMatchObject({ expectedHours: 168, cadence: 'learnt' });
    expect(w.occurrences).toBe(1);
    gw.close();
  });

  it('holds a device to its patient\'s configured cadence from its first upload', async () => {
    const { key } = await seedGateway(tdb.db, 'cad2');
    const gw = await svc.gateway(key);
    await live(gw, 'a', nights(['M', 'D4', 'R2'], 0, 0));
    const admin = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'admin')).email);
    const call = async (method: string, path: string, body: unknown) => {
      const res = await fetch(`${svc.httpUrl}${path}`, {
        method, body: JSON.stringify(body), headers: { cookie: admin, origin: svc.httpUrl, 'content-type': 'application/json' },
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const created = await call('POST', '/v1/patients', { site: 'cad2', familyName: 'Poe', givenName: 'Eve', dateOfBirth: '1950-02-03' });
    const patient = (created.body.patient as { id: string }).id;
    expect((await call('POST', `/v1/patients/${patient}/devices`, { serial: 'M' })).status).toBe(200);
    // Out of bounds is refused, naming the key; a weekly schedule is stored.
    const refused = await call('PUT', `/v1/patients/${patient}/engine-settings`, { connectivity: { expectedHours: 12 } });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(/connectivity\.expectedHours must be at least 24/);
    expect((await call('PUT', `/v1/patients/${patient}/engine-settings`, { connectivity: { expectedHours: 168 } })).status).toBe(200);
    // Day 4: D4 (last day 1) is silent 72 h; M, which has sent one upload, 4 days.
    await live(gw, 'b', nights(['D4', 'R2'], 1, 1));
    await live(gw, 'c', nights(['R2'], 2, 4));
    const alerts = await whenAlerted('cad2', 'D4');
    expect(alerts.map((a) => a.serial)).toEqual(['D4']);
    expect(alerts[0]!.summary).toMatch(/^No reading for 72 h /);
    // Day 15: past twice the configured week.
    await live(gw, 'd', nights(['R2'], 5, 15));
    const later = await whenAlerted('cad2', 'M');
    expect(later.find((a) => a.serial === 'M')!.evidence).toMatchObject({ expectedHours: 168, cadence: 'configured' });
    gw.close();
  });
});
