import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import type { Reading } from '../helpers/gateway.ts';
import { DEFAULT_CONFIG, newDeviceState, processReading } from '../../src/engine/index.ts';

// The engine inside the ingest path: every stored reading scored, alerts stored with
// the contract's fields, resends and late readings handled, state kept across a restart.

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1, 2);
let tdb: TestDatabase;
let svc: RunningService;
let key: string;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  svc = await startService(tdb.db, tdb.url);
  key = (await seedGateway(tdb.db)).key;
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

/** One nightly transmission per day: impedance, VT episodes (value given by `vt`). */
function nights(device: string, fromDay: number, days: number, vt: (day: number) => number, seqBase = 0): Reading[] {
  const out: Reading[] = [];
  for (let d = fromDay; d < fromDay + days; d++) {
    const at = new Date(T0 + d * DAY).toISOString();
    // A quiet lead, but for day 33: 25 % up, unusual for this lead yet short of any alert rule.
    out.push({ device, seq: seqBase + d * 2, at, metric: 'rv_lead_impedance', value: d === 33 ? 650 : 520 + (d % 3) });
    out.push({ device, seq: seqBase + d * 2 + 1, at, metric: 'vt_episodes', value: vt(d) });
  }
  return out;
}

async function alertsOf(device: string) {
  const res = await sql<{ id: number; kind: string; priority: string; status: string; opened_at: Date; last_seen_at: Date; occurrences: number; trigger: { seq: number; metric: string; value: number; at: string }; score: number; summary: string }>`
    SELECT a.* FROM alerts a JOIN devices d ON d.id = a.device_id WHERE d.serial = ${device} ORDER BY a.id`.execute(tdb.db);
  return res.rows;
}

async function scoresOf(device: string) {
  const res = await sql<{ seq: number; score: number | null }>`
    SELECT r.seq, r.score FROM readings r JOIN devices d ON d.id = r.device_id WHERE d.serial = ${device} ORDER BY r.seq`.execute(tdb.db);
  return res.rows;
}

async function until<T>(probe: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = await probe();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('scoring in the ingest path', () => {
  it('scores every stored reading and raises one alert per problem, updated by later triggers', async () => {
    const gw = await svc.gateway(key);
    const stream = nights('SC-A', 0, 40, (d) => (d === 35 || d === 37 ? 2 : 0));
    expect((await gw.batch('a1', stream.slice(0, 50))).accepted).toBe(50);
    expect((await gw.batch('a2', stream.slice(50))).accepted).toBe(30);

    const scores = await scoresOf('SC-A');
    expect(scores).toHaveLength(80);
    for (const s of scores) expect(s.score).not.toBeNull();
    // Any VT episode is extreme; a quiet night is not.
    expect(scores.find((s) => s.seq === 71)!.score).toBe(1);
    expect(scores.find((s) => s.seq === 69)!.score).toBe(0);

    const alerts = await alertsOf('SC-A');
    expect(alerts).toHaveLength(1);
    const a = alerts[0]!;
    expect(a).toMatchObject({ kind: 'ventricular_arrhythmia', priority: 'high', status: 'open', occurrences: 2 });
    expect(a.opened_at.getTime()).toBe(T0 + 35 * DAY);
    expect(a.last_seen_at.getTime()).toBe(T0 + 37 * DAY);
    expect(a.trigger).toEqual({ seq: 71, metric: 'vt_episodes', value: 2, at: new Date(T0 + 35 * DAY).toISOString() });

    const events = await sql<{ type: string }>`SELECT type FROM alert_events WHERE alert_id = ${a.id} ORDER BY cursor`.execute(tdb.db);
    expect(events.rows.map((e) => e.type)).toEqual(['opened', 'updated']);
    gw.close();
  });

  it('a resent batch adds no occurrence and no event', async () => {
    const gw = await svc.gateway(key);
    const stream = nights('SC-B', 0, 10, (d) => (d === 4 ? 1 : 0));
    await gw.batch('b1', stream);
    const again = await gw.batch('b2', stream);
    expect(again).toMatchObject({ accepted: 0, duplicates: 20 });
    const alerts = await alertsOf('SC-B');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.occurrences).toBe(1);
    const n = await sql<{ n: number }>`SELECT count(*)::int AS n FROM alert_events WHERE alert_id = ${alerts[0]!.id}`.execute(tdb.db);
    expect(n.rows[0]!.n).toBe(1);
    gw.close();
  });

  it('a late reading is scored and raises the alert it would have raised in order', async () => {
    const gw = await svc.gateway(key);
    const stream = nights('SC-C', 0, 30, (d) => (d === 12 ? 3 : 0));
    const lateSeq = 12 * 2 + 1;
    const late = stream.filter((r) => r.seq === lateSeq);
    await gw.batch('c1', stream.filter((r) => r.seq !== lateSeq));
    expect(await alertsOf('SC-C')).toHaveLength(0);

    expect((await gw.batch('c2', late)).accepted).toBe(1);
    const alerts = await until(() => alertsOf('SC-C'), (a) => a.length === 1, 'the late alert');
    expect(alerts[0]).toMatchObject({ kind: 'ventricular_arrhythmia', occurrences: 1 });
    expect(alerts[0]!.opened_at.getTime()).toBe(T0 + 12 * DAY);
    const scores = await until(() => scoresOf('SC-C'), (s) => s.every((r) => r.score !== null), 'the late score');
    expect(scores.find((s) => s.seq === lateSeq)!.score).toBe(1);
    const pending = await sql<{ n: number }>`SELECT count(*)::int AS n FROM engine_pending`.execute(tdb.db);
    expect(pending.rows[0]!.n).toBe(0);
    gw.close();
  });

  it('keeps the one open alert per device and kind in the database itself', async () => {
    const [a] = await alertsOf('SC-A');
    await expect(sql`
      INSERT INTO alerts (device_id, site_id, kind, priority, opened_at, last_seen_at, trigger, score, summary, evidence)
      SELECT device_id, site_id, kind, priority, opened_at, last_seen_at, trigger, score, summary, evidence FROM alerts WHERE id = ${a!.id}`
      .execute(tdb.db)).rejects.toThrow(/alerts_one_open_idx/);
  });

  it('continues after a restart exactly where it left off, from a snapshot', async () => {
    const gw = await svc.gateway(key);
    // 20 quiet days, then a restart, then a VT on day 24 and another on day 26.
    const stream = nights('SC-D', 0, 36, (d) => (d === 24 || d === 26 ? 1 : 0));
    await gw.batch('d1', stream.slice(0, 40));
    gw.close();
    await svc.close();
    const snaps = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM engine_snapshots s JOIN devices d ON d.id = s.device_id WHERE d.serial = 'SC-D'`.execute(tdb.db);
    expect(snaps.rows[0]!.n).toBe(1);

    svc = await startService(tdb.db, tdb.url);
    const gw2 = await svc.gateway(key);
    // The first batch after the restart resends the last day already stored.
    expect(await gw2.batch('d2', stream.slice(38))).toMatchObject({ accepted: 32, duplicates: 2 });
    const alerts = await alertsOf('SC-D');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: 'ventricular_arrhythmia', occurrences: 2 });
    expect(alerts[0]!.opened_at.getTime()).toBe(T0 + 24 * DAY);
    // Scores after the restart are judged against baselines learned before it: the same
    // as one uninterrupted run of the pure engine.
    const state = newDeviceState();
    const expected = stream.map((r) => Math.round(processReading(state, { ...r, at: Date.parse(r.at) }, DEFAULT_CONFIG).score * 1000) / 1000);
    const scores = await scoresOf('SC-D');
    expect(scores.map((s) => s.score)).toHaveLength(expected.length);
    scores.forEach((s, i) => expect(s.score).toBeCloseTo(expected[i]!, 6));
    expect(expected.slice(40).some((x) => x > 0 && x < 1)).toBe(true);
    gw2.close();
  });
});
