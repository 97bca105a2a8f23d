import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import type { Reading } from '../helpers/gateway.ts';

// Past silences (connectivity_episodes) through the running service: a gap between two
// readings of a device, at least its silence limit, is stored with the reading that ends it,
// once however often it is sent or replayed, and a late reading inside it undoes it.

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1, 2);
let tdb: TestDatabase;
let svc: RunningService;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  // No connectivity check meanwhile: history only.
  svc = await startService(tdb.db, tdb.url, { ENGINE_CONNECTIVITY_CHECK_MS: '3600000' });
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

const night = (device: string, day: number, seq = day + 1): Reading => ({
  device, seq, at: new Date(T0 + day * DAY).toISOString(), metric: 'activity', value: 200 + day,
});

async function episodes(serial: string) {
  const res = await sql<{ from_at: Date; from_seq: number; to_at: Date; to_seq: number; limit_hours: number }>`
    SELECT c.from_at, c.from_seq, c.to_at, c.to_seq, c.limit_hours FROM connectivity_episodes c
    JOIN devices d ON d.id = c.device_id WHERE d.serial = ${serial} ORDER BY c.to_at`.execute(tdb.db);
  return res.rows.map((r) => ({ from: r.from_at.getTime(), fromSeq: Number(r.from_seq), to: r.to_at.getTime(), toSeq: Number(r.to_seq), limitHours: r.limit_hours }));
}

describe('connectivity episodes', () => {
  it('stores a gap of at least 48 h once, with the readings around it', async () => {
    const { key } = await seedGateway(tdb.db, 'ep1');
    const gw = await svc.gateway(key);
    // Days 0-4, nothing on 5-7, days 8-9; and a gap just under 48 h (days 9 → 11 less an hour).
    const days = [0, 1, 2, 3, 4, 8, 9];
    await gw.batch('a', days.map((d) => night('E1', d)));
    await gw.batch('b', [{ ...night('E1', 11, 12), at: new Date(T0 + 11 * DAY - 3_600_000).toISOString() }]);
    expect(await episodes('E1')).toEqual([{ from: T0 + 4 * DAY, fromSeq: 5, to: T0 + 8 * DAY, toSeq: 9, limitHours: 48 }]);
    // A resend stores nothing twice.
    await gw.batch('c', days.map((d) => night('E1', d)));
    expect(await episodes('E1')).toHaveLength(1);
    gw.close();
  });

  it('forgets a gap that a late reading fills, and keeps the shorter one it leaves', async () => {
    const { key } = await seedGateway(tdb.db, 'ep2');
    const gw = await svc.gateway(key);
    await gw.batch('a', [0, 1, 7, 8].map((d) => night('E2', d)));
    expect(await episodes('E2')).toEqual([{ from: T0 + DAY, fromSeq: 2, to: T0 + 7 * DAY, toSeq: 8, limitHours: 48 }]);
    // Day 4 arrives late: days 1 → 4 and 4 → 7 are the silences now.
    await gw.batch('b', [night('E2', 4)]);
    await expect.poll(() => episodes('E2'), { timeout: 15_000, interval: 100 }).toEqual([
      { from: T0 + DAY, fromSeq: 2, to: T0 + 4 * DAY, toSeq: 5, limitHours: 48 },
      { from: T0 + 4 * DAY, fromSeq: 5, to: T0 + 7 * DAY, toSeq: 8, limitHours: 48 },
    ]);
    // The other days too: no gap of 48 h is left.
    await gw.batch('c', [2, 3, 5, 6].map((d) => night('E2', d)));
    await expect.poll(() => episodes('E2'), { timeout: 15_000, interval: 100 }).toEqual([]);
    gw.close();
  });
});
