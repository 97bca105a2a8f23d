import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import type { Reading } from '../helpers/gateway.ts';
import { DEFAULT_CONFIG, newDeviceState, processReading } from '../../src/engine/index.ts';

// A device's engine state leaves memory once the device has been idle ENGINE_STATE_IDLE_MS
// (after a snapshot of it), and comes back from that snapshot with its next reading: the
// scores and alerts are those of one uninterrupted run of the pure engine.

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1, 2);
let tdb: TestDatabase;
let svc: RunningService;
let key: string;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  svc = await startService(tdb.db, tdb.url, { ENGINE_STATE_IDLE_MS: '1000' });
  key = (await seedGateway(tdb.db)).key;
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

function nights(device: string, fromDay: number, days: number, vt: (day: number) => number): Reading[] {
  const out: Reading[] = [];
  for (let d = fromDay; d < fromDay + days; d++) {
    const at = new Date(T0 + d * DAY).toISOString();
    out.push({ device, seq: d * 2, at, metric: 'rv_lead_impedance', value: d === 36 ? 650 : 520 + (d % 3) });
    out.push({ device, seq: d * 2 + 1, at, metric: 'vt_episodes', value: vt(d) });
  }
  return out;
}

async function inMemory(): Promise<number> {
  const text = await (await fetch(`${svc.httpUrl}/metrics`)).text();
  const m = /^telemetry_engine_devices_in_memory (\d+)$/m.exec(text);
  if (!m) throw new Error('no telemetry_engine_devices_in_memory in /metrics');
  return Number(m[1]);
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('idle device states', () => {
  it('leave memory after a snapshot, and come back from it with the next reading as if never gone', async () => {
    const gw = await svc.gateway(key);
    const stream = nights('EV-1', 0, 40, (d) => (d === 5 || d === 24 || d === 31 ? 1 : 0));
    // 6 nights, then silence: not due a periodic snapshot (every 7 event days), so the one
    // that lets the state leave is taken as it leaves.
    await gw.batch('a', stream.slice(0, 12));
    expect(await inMemory()).toBe(1);
    await until(async () => (await inMemory()) === 0, 'the idle device to leave memory');
    const snaps = await sql<{ seq: number }>`
      SELECT s.seq FROM engine_snapshots s JOIN devices d ON d.id = s.device_id WHERE d.serial = 'EV-1' ORDER BY s.at DESC`.execute(tdb.db);
    expect(snaps.rows.map((r) => Number(r.seq))).toEqual([11]);

    // The next nights load it again; then idle again, and again.
    await gw.batch('b', stream.slice(12, 60));
    await until(async () => (await inMemory()) === 0, 'the device to leave memory again');
    await gw.batch('c', stream.slice(60));
    gw.close();

    const state = newDeviceState();
    const expected = stream.map((r) => Math.round(processReading(state, { ...r, at: Date.parse(r.at) }, DEFAULT_CONFIG).score * 1000) / 1000);
    const scores = await sql<{ score: number | null }>`
      SELECT r.score FROM readings r JOIN devices d ON d.id = r.device_id WHERE d.serial = 'EV-1' ORDER BY r.seq`.execute(tdb.db);
    expect(scores.rows).toHaveLength(expected.length);
    scores.rows.forEach((s, i) => expect(s.score, `seq ${i}`).toBeCloseTo(expected[i]!, 6));
    // Baselines learned before the state left are used after it came back.
    expect(expected.slice(12).some((x) => x > 0 && x < 1)).toBe(true);

    const alerts = await sql<{ kind: string; occurrences: number; opened_at: Date }>`
      SELECT a.kind, a.occurrences, a.opened_at FROM alerts a JOIN devices d ON d.id = a.device_id WHERE d.serial = 'EV-1'`.execute(tdb.db);
    expect(alerts.rows).toEqual([{ kind: 'ventricular_arrhythmia', occurrences: 3, opened_at: new Date(T0 + 5 * DAY) }]);
    // Snapshots taken as the state left replace recent ones: about one per 7 event days.
    const count = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM engine_snapshots s JOIN devices d ON d.id = s.device_id WHERE d.serial = 'EV-1'`.execute(tdb.db);
    expect(count.rows[0]!.n).toBeLessThanOrEqual(Math.ceil(40 / 7) + 1);
  });
});
