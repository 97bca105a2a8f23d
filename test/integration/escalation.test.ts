import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import pino from 'pino';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import { seedUser, signIn } from '../helpers/people.ts';
import { startEscalation } from '../../src/alerts/escalation.ts';
import type { AlertFeed } from '../../src/alerts/feed.ts';

// Escalation of open high alerts nobody acknowledged, with an injected clock (no test
// waits for minutes), and across a restart of the service.

const MIN = 60_000;
const PERIOD = 15 * MIN;
const T0 = Date.UTC(2026, 0, 1, 2);
// The service's own timer stays out of the way of the injected clocks below.
const QUIET = { ALERT_ESCALATION_CHECK_MS: String(PERIOD - 1) };
let tdb: TestDatabase;
let svc: RunningService;
let gatewayKey: string;
let clinician: string;
let deviceCounter = 0;

type FeedEvent = { cursor: number; alertId: number; type: string };

async function raise(metric = 'vt_episodes', value = 1): Promise<{ id: number; raisedAt: number }> {
  const device = `esc-${++deviceCounter}`;
  const gw = await svc.gateway(gatewayKey);
  await gw.batch('b', [{ device, seq: 1, at: new Date(T0).toISOString(), metric, value }]);
  gw.close();
  // raised_at has microseconds: round up to the millisecond, so raisedAt + PERIOD is due.
  const r = await sql<{ id: number; raised_ms: number }>`
    SELECT a.id, ceil(extract(epoch FROM a.raised_at) * 1000)::float8 AS raised_ms
    FROM alerts a JOIN devices d ON d.id = a.device_id WHERE d.serial = ${device}`.execute(tdb.db);
  return { id: r.rows[0]!.id, raisedAt: r.rows[0]!.raised_ms };
}

/** One escalation check as of `at`, published on `feed`; no timer involved. */
async function checkAt(at: number, feed: AlertFeed = svc.app.alertFeed): Promise<FeedEvent[]> {
  const escalation = startEscalation({ db: tdb.db, feed, periodMs: PERIOD, checkMs: PERIOD, log: pino({ level: 'silent' }), now: () => at });
  try {
    return await escalation.check();
  } finally {
    await escalation.stop();
  }
}

async function level(id: number): Promise<{ escalation_level: number; escalated_at: Date | null }> {
  const r = await sql<{ escalation_level: number; escalated_at: Date | null }>`SELECT escalation_level, escalated_at FROM alerts WHERE id = ${id}::int8`.execute(tdb.db);
  return r.rows[0]!;
}

const mine = (events: FeedEvent[], id: number) => events.filter((e) => e.alertId === id);

function post(id: number, action: string, body: unknown) {
  return fetch(`${svc.httpUrl}/v1/alerts/${id}/${action}`, {
    method: 'POST', headers: { 'content-type': 'application/json', origin: svc.httpUrl, cookie: clinician }, body: JSON.stringify(body),
  });
}

/** Waits (no deadline but the test's) until the alert reaches `n`. */
async function untilLevel(id: number, n: number): Promise<void> {
  while ((await level(id)).escalation_level < n) await new Promise((r) => setTimeout(r, 25));
}

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  svc = await startService(tdb.db, tdb.url, QUIET);
  gatewayKey = (await seedGateway(tdb.db, 'alpha')).key;
  clinician = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'clinician', ['alpha'])).email);
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

describe('escalation', () => {
  it('escalates an unacknowledged high alert once per period, with an `escalated` event and no actor', async () => {
    const { id, raisedAt } = await raise();
    const published: FeedEvent[] = [];
    const off = svc.app.alertFeed.subscribe((events) => published.push(...events));
    try {
      expect(mine(await checkAt(raisedAt + PERIOD - 1000), id)).toEqual([]);
      expect((await level(id)).escalation_level).toBe(0);

      const first = mine(await checkAt(raisedAt + PERIOD), id);
      expect(first).toEqual([{ cursor: expect.any(Number), alertId: id, type: 'escalated' }]);
      expect(await level(id)).toEqual({ escalation_level: 1, escalated_at: new Date(raisedAt + PERIOD) });
      // The same moment again, and the rest of the period: nothing more.
      expect(mine(await checkAt(raisedAt + PERIOD), id)).toEqual([]);
      expect(mine(await checkAt(raisedAt + 2 * PERIOD - 1000), id)).toEqual([]);

      expect(mine(await checkAt(raisedAt + 2 * PERIOD), id)).toHaveLength(1);
      expect((await level(id)).escalation_level).toBe(2);
      expect(mine(published, id).map((e) => e.type)).toEqual(['escalated', 'escalated']);
    } finally {
      off();
    }

    const res = await fetch(`${svc.httpUrl}/v1/alerts/${id}/history`, { headers: { cookie: clinician } });
    const history = ((await res.json()) as { history: Array<Record<string, unknown>> }).history.filter((h) => h.type === 'escalated');
    expect(history).toEqual([
      { cursor: expect.any(Number), type: 'escalated', actor: null, at: new Date(raisedAt + PERIOD).toISOString(), escalationLevel: 1 },
      { cursor: expect.any(Number), type: 'escalated', actor: null, at: new Date(raisedAt + 2 * PERIOD).toISOString(), escalationLevel: 2 },
    ]);
    const list = await fetch(`${svc.httpUrl}/v1/alerts?kind=ventricular_arrhythmia`, { headers: { cookie: clinician } });
    const alert = ((await list.json()) as { alerts: Array<Record<string, unknown>> }).alerts.find((a) => a.id === `a-${String(id).padStart(6, '0')}`);
    expect(alert?.escalationLevel).toBe(2);
  });

  it('publishes the events of one check in cursor order', async () => {
    const a = await raise();
    const b = await raise();
    const events = await checkAt(Math.max(a.raisedAt, b.raisedAt) + PERIOD);
    expect(events.map((e) => e.alertId)).toEqual(expect.arrayContaining([a.id, b.id]));
    const cursors = events.map((e) => e.cursor);
    expect(cursors).toEqual([...cursors].sort((x, y) => x - y));
  });

  it('leaves acknowledged, resolved and lower-priority alerts alone', async () => {
    const acked = await raise();
    const resolved = await raise();
    const medium = await raise('battery_status', 3);
    expect((await post(acked.id, 'acknowledge', {})).status).toBe(200);
    expect((await post(resolved.id, 'resolve', { resolution: 'actioned' })).status).toBe(200);
    const events = await checkAt(Math.max(acked.raisedAt, resolved.raisedAt, medium.raisedAt) + 10 * PERIOD);
    for (const x of [acked, resolved, medium]) {
      expect(mine(events, x.id)).toEqual([]);
      expect((await level(x.id)).escalation_level).toBe(0);
    }
  });

  it('stops escalating once acknowledged', async () => {
    const { id, raisedAt } = await raise();
    expect(mine(await checkAt(raisedAt + PERIOD), id)).toHaveLength(1);
    expect((await post(id, 'acknowledge', {})).status).toBe(200);
    expect(mine(await checkAt(raisedAt + 5 * PERIOD), id)).toEqual([]);
    expect((await level(id)).escalation_level).toBe(1);
  });

  it('does not escalate a snoozed alert until its snooze expires', async () => {
    const { id, raisedAt } = await raise();
    const until = Math.floor(Date.now() / 1000) * 1000 + 4 * PERIOD;
    expect((await post(id, 'snooze', { until: new Date(until).toISOString() })).status).toBe(200);
    expect(mine(await checkAt(raisedAt + PERIOD), id)).toEqual([]);
    expect(mine(await checkAt(until - 1000), id)).toEqual([]);
    expect((await level(id)).escalation_level).toBe(0);
    // Overdue when the snooze ends: escalated at the first check after it.
    expect(mine(await checkAt(until), id)).toHaveLength(1);
    expect((await level(id)).escalation_level).toBe(1);
  });

  it('carries on after a restart: the next period counts from the database', async () => {
    const { id, raisedAt } = await raise();
    const first = await startService(tdb.db, tdb.url, QUIET);
    expect(mine(await checkAt(raisedAt + PERIOD, first.app.alertFeed), id)).toHaveLength(1);
    await first.close();

    const second = await startService(tdb.db, tdb.url, QUIET);
    try {
      const seen: FeedEvent[] = [];
      const off = second.app.alertFeed.subscribe((events) => seen.push(...events));
      expect(mine(await checkAt(raisedAt + 2 * PERIOD - 1000, second.app.alertFeed), id)).toEqual([]);
      expect(mine(await checkAt(raisedAt + 2 * PERIOD, second.app.alertFeed), id)).toHaveLength(1);
      off();
      expect(mine(seen, id).map((e) => e.type)).toEqual(['escalated']);
      expect((await level(id)).escalation_level).toBe(2);
    } finally {
      await second.close();
    }
  });

  it('runs on the service’s own timer, before and after a restart', async () => {
    const { id } = await raise();
    // Raised a period ago (wall clock), as if the service had been waiting all along.
    await sql`UPDATE alerts SET raised_at = now() - interval '16 minutes' WHERE id = ${id}::int8`.execute(tdb.db);
    const fast = { ALERT_ESCALATION_CHECK_MS: '100' };
    const first = await startService(tdb.db, tdb.url, fast);
    try {
      await untilLevel(id, 1);
    } finally {
      await first.close();
    }
    expect((await level(id)).escalation_level).toBe(1);

    // A period passes while no service runs.
    await sql`UPDATE alerts SET escalated_at = escalated_at - interval '16 minutes' WHERE id = ${id}::int8`.execute(tdb.db);
    const second = await startService(tdb.db, tdb.url, fast);
    try {
      await untilLevel(id, 2);
    } finally {
      await second.close();
    }
    expect((await level(id)).escalation_level).toBe(2);
  });
});
