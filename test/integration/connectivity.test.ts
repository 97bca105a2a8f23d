import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import { TestGateway, type Reading } from '../helpers/gateway.ts';

// connectivity_loss through the running service: a device silent for 48 h of event time
// while the others of its site report gets one alert, whose trigger is the last reading heard.
// Each batch is stored as received when its readings were taken (a live site): history
// uploaded late raises no alert (connectivity-event-time.test.ts).

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1, 2);
let tdb: TestDatabase;
let svc: RunningService;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  svc = await startService(tdb.db, tdb.url, { ENGINE_CONNECTIVITY_CHECK_MS: '100' });
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

const night = (device: string, day: number): Reading => ({
  device, seq: day, at: new Date(T0 + day * DAY).toISOString(), metric: 'activity', value: 200 + day,
});

/** Send a batch, then store its readings as received when they were taken. */
async function live(gw: TestGateway, id: string, readings: Reading[]) {
  await gw.batch(id, readings);
  await sql`UPDATE readings r SET received_at = r.at FROM devices d
            WHERE d.id = r.device_id AND d.serial = ANY(${[...new Set(readings.map((x) => x.device))]}::text[])
              AND r.seq = ANY(${readings.map((x) => x.seq)}::int8[])`.execute(tdb.db);
}

async function silenceAlerts(site: string) {
  const res = await sql<{ serial: string; occurrences: number; trigger: { seq: number; metric: string; at: string }; summary: string; priority: string }>`
    SELECT d.serial, a.occurrences, a.trigger, a.summary, a.priority FROM alerts a
    JOIN devices d ON d.id = a.device_id JOIN sites s ON s.id = a.site_id
    WHERE a.kind = 'connectivity_loss' AND s.code = ${site} ORDER BY d.serial`.execute(tdb.db);
  return res.rows;
}

// Checks run every 100 ms: a negative answer waits for several of them, a positive one polls.
const settle = () => new Promise((r) => setTimeout(r, 800));

async function pollAlerts(site: string, n: number) {
  for (let i = 0; i < 200; i++) {
    const a = await silenceAlerts(site);
    if (a.length >= n) return a;
    await new Promise((r) => setTimeout(r, 50));
  }
  return silenceAlerts(site);
}

describe('connectivity_loss', () => {
  it('alerts once for a device silent 48 h while its site reports, with its last reading as trigger', async () => {
    const { key } = await seedGateway(tdb.db, 'conn1');
    const gw = await svc.gateway(key);
    // Q reports days 0-1 only; P and R go on: Q has been silent 24 h at day 2, 48 h at day 3.
    await live(gw, 'a', [0, 1].map((d) => night('Q', d)));
    await live(gw, 'b', [0, 1, 2].flatMap((d) => [night('P', d), night('R', d)]));
    await settle();
    expect(await silenceAlerts('conn1')).toEqual([]);
    await live(gw, 'c', [night('P', 3), night('R', 3)]);
    const alerts = await pollAlerts('conn1', 1);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      serial: 'Q', occurrences: 1, priority: 'low',
      trigger: { seq: 1, metric: 'activity', at: new Date(T0 + DAY).toISOString() },
    });
    expect(alerts[0]!.summary).toMatch(/No reading for 48 h while 2 other devices/);
    // The same silence, checked again and longer: still one alert, one occurrence.
    await live(gw, 'd', [night('P', 4), night('R', 4)]);
    await settle();
    expect(await silenceAlerts('conn1')).toMatchObject([{ serial: 'Q', occurrences: 1 }]);
    gw.close();
  });

  it('stays silent when the whole site is silent (the relay, not the patients)', async () => {
    const { key } = await seedGateway(tdb.db, 'conn2');
    const gw = await svc.gateway(key);
    await live(gw, 'a', [night('S1', 0), night('S2', 0)]);
    await live(gw, 'b', [night('S1', 1)]);
    await settle();
    // S2 is 24 h behind the site's newest reading: not silent. Nothing else reports: no alert.
    expect(await silenceAlerts('conn2')).toEqual([]);
    gw.close();
  });
});
