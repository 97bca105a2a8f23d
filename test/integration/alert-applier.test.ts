import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import pino from 'pino';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { AlertApplier } from '../../src/scoring/alert-applier.ts';
import { OUTBOX_MAX_ATTEMPTS } from '../../src/store/alert-outbox.ts';
import type { AlertEventRow, DecisionRow } from '../../src/store/engine-effects.ts';

// The alert outbox's applier on a real database: decisions committed with their readings
// (here written straight into the outbox, as a flush of an instance that then died leaves
// them) become alerts once, in order, whichever instance applies them; a group that cannot
// apply holds back no other.

let tdb: TestDatabase;
let deviceId: number;
const T0 = Date.UTC(2026, 0, 1);

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  await sql`INSERT INTO sites (code, name) VALUES ('ob', 'Outbox')`.execute(tdb.db);
  deviceId = (await sql<{ id: number }>`INSERT INTO devices (serial, site_id) SELECT 'OB-1', id FROM sites WHERE code = 'ob' RETURNING id`.execute(tdb.db)).rows[0]!.id;
});
afterAll(async () => {
  await tdb?.drop();
});
beforeEach(async () => {
  await sql`TRUNCATE alert_outbox, alert_triggers, alert_events, alerts CASCADE`.execute(tdb.db);
});

const decision = (seq: number, kind: DecisionRow['decision']['kind'] = 'battery', priority: 'low' | 'high' = 'low'): DecisionRow => ({
  deviceId,
  decision: {
    kind, priority, action: 'open', score: 1, summary: `${kind} at ${seq}`, evidence: { seq },
    trigger: { seq, metric: 'battery_status', value: 3, at: T0 + seq * 60_000 },
  },
});

async function outbox(...groups: unknown[][]): Promise<void> {
  for (const g of groups) await sql`INSERT INTO alert_outbox (decisions) VALUES (${JSON.stringify(g)}::jsonb)`.execute(tdb.db);
}

function applier(events: AlertEventRow[] = [], log = pino({ level: 'silent' }), setAside = () => {}): AlertApplier {
  return new AlertApplier(tdb.db, { sweepMs: 60_000, log, publish: (e) => events.push(...e), setAside });
}

const count = async (table: 'alert_outbox' | 'alert_triggers' | 'alert_events') =>
  (await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)}`.execute(tdb.db)).rows[0]!.n;

describe('the alert outbox', () => {
  it('applies what a dead instance left, in outbox order, and publishes the events in cursor order', async () => {
    await outbox([decision(1), decision(2, 'battery', 'high')], [decision(3), decision(3, 'shock_delivered', 'high')]);
    const events: AlertEventRow[] = [];
    const a = applier(events);
    await a.settle();
    const of = (kind: string) => events.filter((e) => e.kind === kind).map((e) => [e.type, e.priority]);
    expect(of('battery')).toEqual([['opened', 'low'], ['updated', 'high'], ['updated', 'high']]);
    expect(of('shock_delivered')).toEqual([['opened', 'high']]);
    expect(events.map((e) => e.cursor)).toEqual([...events.map((e) => e.cursor)].sort((x, y) => x - y));
    expect(await count('alert_outbox')).toBe(0);
    const alerts = (await sql<{ kind: string; occurrences: number; summary: string }>`SELECT kind, occurrences, summary FROM alerts ORDER BY kind`.execute(tdb.db)).rows;
    expect(alerts).toEqual([
      { kind: 'battery', occurrences: 3, summary: 'battery at 3' },
      { kind: 'shock_delivered', occurrences: 1, summary: 'shock_delivered at 3' },
    ]);
    await a.stop();
  });

  it('finds by its sweep, unkicked, a group another instance committed and did not apply', async () => {
    const events: AlertEventRow[] = [];
    const a = new AlertApplier(tdb.db, { sweepMs: 50, log: pino({ level: 'silent' }), publish: (e) => events.push(...e) });
    await outbox([decision(5, 'shock_delivered', 'high')]);
    for (let i = 0; i < 200 && events.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(events.map((e) => [e.kind, e.type])).toEqual([['shock_delivered', 'opened']]);
    expect(await count('alert_outbox')).toBe(0);
    await a.stop();
  });

  it('applies each group once when two instances apply the same outbox at once', async () => {
    const groups = Array.from({ length: 200 }, (_, i) => [decision(i + 1)]);
    await outbox(...groups);
    const e1: AlertEventRow[] = [];
    const e2: AlertEventRow[] = [];
    const [a, b] = [applier(e1), applier(e2)];
    await Promise.all([a.settle(), b.settle(), a.settle()]);
    expect(e1.length + e2.length).toBe(200);
    expect(await count('alert_triggers')).toBe(200);
    expect((await sql<{ occurrences: number }>`SELECT occurrences FROM alerts`.execute(tdb.db)).rows).toEqual([{ occurrences: 200 }]);
    await Promise.all([a.stop(), b.stop()]);
  });

  it('spaces its passes: groups kicked meanwhile wait and are applied together, and settle does not wait', async () => {
    const calls: AlertEventRow[][] = [];
    let passes = 0;
    const a = new AlertApplier(tdb.db, {
      sweepMs: 60_000, spacingMs: 60_000, log: pino({ level: 'silent' }), publish: (e) => void calls.push([...e]), passed: () => void passes++,
    });
    await outbox([decision(1)]);
    a.kick(); // idle for long: applied at once
    for (let i = 0; i < 200 && calls.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(calls).toHaveLength(1);
    await outbox([decision(2)], [decision(3)], [decision(4)]);
    for (let i = 0; i < 3; i++) a.kick();
    await new Promise((r) => setTimeout(r, 200));
    // A minute's spacing from the first pass: nothing applied yet.
    expect(await count('alert_outbox')).toBe(3);
    expect(calls).toHaveLength(1);
    expect(passes).toBe(1);
    await a.settle();
    expect(calls).toHaveLength(2);
    expect(calls[1]!.map((e) => e.type)).toEqual(['updated', 'updated', 'updated']);
    expect(await count('alert_outbox')).toBe(0);
    await a.stop();
  });

  it('leaves a group that cannot apply aside after repeated failures, and applies the groups after it meanwhile', async () => {
    const broken = decision(7);
    (broken.decision.trigger as { at: unknown }).at = 'not a time';
    await outbox([broken], [decision(8)]);
    const logged: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => void logged.push(line) });
    const events: AlertEventRow[] = [];
    let setAside = 0;
    const a = applier(events, log, () => void setAside++);
    await a.settle();
    expect(events.map((e) => e.type)).toEqual(['opened']);
    expect((await sql<{ attempts: number; last_error: string | null }>`SELECT attempts, last_error FROM alert_outbox`.execute(tdb.db)).rows)
      .toEqual([{ attempts: 1, last_error: expect.any(String) }]);
    for (let i = 1; i < OUTBOX_MAX_ATTEMPTS; i++) await a.settle();
    expect((await sql<{ attempts: number }>`SELECT attempts FROM alert_outbox`.execute(tdb.db)).rows).toEqual([{ attempts: OUTBOX_MAX_ATTEMPTS }]);
    expect(logged.filter((l) => l.includes('left aside'))).toHaveLength(1);
    expect(setAside).toBe(1);
    // Left aside: no more attempts, and the outbox's other work goes on.
    await outbox([decision(9)]);
    await a.settle();
    expect((await sql<{ attempts: number }>`SELECT attempts FROM alert_outbox`.execute(tdb.db)).rows).toEqual([{ attempts: OUTBOX_MAX_ATTEMPTS }]);
    expect(events).toHaveLength(2);
    expect(logged.every((l) => !l.includes('OB-1'))).toBe(true);
    await a.stop();
  });
});
