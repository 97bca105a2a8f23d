import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { writeGroup, type WriteBatch } from '../../src/ingest/group-write.ts';
import type { ReadingRow } from '../../src/store/readings.ts';
import { applyOutbox } from '../helpers/outbox.ts';
import { NO_EFFECTS, type DecisionRow, type EngineEffects, type RiskChangeRow } from '../../src/store/engine-effects.ts';

// The group commit's bookkeeping on a real database: which rows count as inserted,
// duplicate, conflicting or late, and which of the engine's effects are written with them.

let tdb: TestDatabase;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
});
afterAll(async () => {
  await tdb?.drop();
});
beforeEach(async () => {
  await sql`TRUNCATE readings, reading_keys, engine_pending, quarantine, device_risk, risk_changes, alert_triggers, alert_events, alerts, alert_outbox CASCADE`.execute(tdb.db);
});

const T0 = Date.UTC(2026, 0, 1);
const row = (deviceId: number, seq: number, score: number | null, value = 70): ReadingRow =>
  ({ deviceId, seq, at: T0 + seq * 60_000, metricId: 5, value, gatewayId: 1, score });

function batch(rows: ReadingRow[], effects: EngineEffects = NO_EFFECTS): WriteBatch {
  return {
    rows,
    indexes: rows.map((_, i) => i),
    raws: rows.map((r) => ({ seq: r.seq })),
    quarantine: [],
    context: { gatewayId: null, siteId: null, source: 'ws', batchId: null },
    effects,
  };
}

const late = (r: ReadingRow): EngineEffects => ({ ...NO_EFFECTS, late: [{ deviceId: r.deviceId, at: r.at, seq: r.seq }] });
const pending = async () =>
  (await sql<{ device_id: number; seq: number }>`SELECT device_id, seq FROM engine_pending ORDER BY device_id`.execute(tdb.db)).rows;

describe('late readings in a group commit', () => {
  it('a copy of a reading that lands in the same group as its scored original is a duplicate and owes no replay', async () => {
    // The state took in seq 1 (scored), then saw it again: not after the state, so unscored and "late".
    const { results } = await writeGroup(tdb.db, [batch([row(1, 1, 0.5)]), batch([row(1, 1, null)], late(row(1, 1, null)))]);
    expect(results[0]).toMatchObject({ inserted: 1, duplicates: 0 });
    expect(results[1]).toMatchObject({ inserted: 0, duplicates: 1, lateInserted: [] });
    expect(await pending()).toEqual([]);
  });

  it('a late reading whose own row is stored marks its device for a replay', async () => {
    await writeGroup(tdb.db, [batch([row(2, 5, 0.1)])]);
    const lateRow = row(2, 3, null);
    const { results } = await writeGroup(tdb.db, [batch([row(2, 6, 0.2)]), batch([lateRow], late(lateRow))]);
    expect(results[1]).toMatchObject({ inserted: 1, lateInserted: [{ deviceId: 2, seq: 3 }] });
    expect(await pending()).toEqual([{ device_id: 2, seq: 3 }]);
  });

  it('a late reading already stored (a resend) owes no replay', async () => {
    const lateRow = row(3, 3, null);
    await writeGroup(tdb.db, [batch([row(3, 3, 0.4)])]);
    const { results } = await writeGroup(tdb.db, [batch([lateRow], late(lateRow))]);
    expect(results[0]).toMatchObject({ inserted: 0, duplicates: 1, lateInserted: [] });
    expect(await pending()).toEqual([]);
  });
});

const risk = (r: ReadingRow): RiskChangeRow =>
  ({ deviceId: r.deviceId, at: r.at, seq: r.seq, status: 'High', previous: 'Low', score: 0.9, statusChanged: true, insufficient: false });
const decision = (r: ReadingRow, kind: DecisionRow['decision']['kind'] = 'shock_delivered', priority: 'low' | 'high' = 'high'): DecisionRow => ({
  deviceId: r.deviceId,
  decision: {
    kind, priority, action: 'open', score: 1, summary: `${kind} at ${r.seq}`, evidence: { seq: r.seq },
    trigger: { seq: r.seq, metric: 'shocks', value: 1, at: r.at },
  },
});

describe('effects and conflicts in one group commit', () => {
  let deviceId: number;
  beforeAll(async () => {
    await sql`INSERT INTO sites (code, name) VALUES ('wg', 'Writer group') ON CONFLICT DO NOTHING`.execute(tdb.db);
    deviceId = (await sql<{ id: number }>`INSERT INTO devices (serial, site_id) SELECT 'WG-1', id FROM sites WHERE code = 'wg' RETURNING id`.execute(tdb.db)).rows[0]!.id;
  });

  it('writes a risk change with its new reading, not again with a resend of it, and quarantines a reused seq', async () => {
    const first = row(deviceId, 10, 0.9);
    await writeGroup(tdb.db, [batch([first], { ...NO_EFFECTS, risks: [risk(first)] })]);
    await sql`UPDATE device_risk SET status = 'Low'`.execute(tdb.db);
    const fresh = row(deviceId, 11, 0.8);
    const { results } = await writeGroup(tdb.db, [
      // A resend proposing the same change again (its reading is stored: nothing written).
      batch([first], { ...NO_EFFECTS, risks: [risk(first)] }),
      batch([fresh, row(deviceId, 10, 0.9, 99)]),
    ]);
    expect(results[0]).toMatchObject({ inserted: 0, duplicates: 1, conflicts: [] });
    expect(results[1]).toMatchObject({ inserted: 1, duplicates: 0, conflicts: [{ index: 1 }] });
    expect((await sql<{ status: string }>`SELECT status FROM device_risk`.execute(tdb.db)).rows).toEqual([{ status: 'Low' }]);
    expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM risk_changes`.execute(tdb.db)).rows[0]!.n).toBe(1);
    expect((await sql<{ code: string }>`SELECT code FROM quarantine`.execute(tdb.db)).rows).toEqual([{ code: 'seq_conflict' }]);
  });

  it('commits a decision of a reading it stored with that reading, and none whose reading was stored before', async () => {
    const shock = row(deviceId, 20, 1);
    const first = await writeGroup(tdb.db, [batch([row(deviceId, 19, 0.1)]), batch([shock], { ...NO_EFFECTS, decisions: [decision(shock)] })]);
    expect(first.decisions).toBe(true);
    // Committed with the readings, in the outbox; alerts once the applier has run.
    expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM alert_outbox`.execute(tdb.db)).rows[0]!.n).toBe(1);
    expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM alerts`.execute(tdb.db)).rows[0]!.n).toBe(0);
    expect(await applyOutbox(tdb.db)).toMatchObject([{ type: 'opened', kind: 'shock_delivered' }]);
    const again = await writeGroup(tdb.db, [batch([shock], { ...NO_EFFECTS, decisions: [decision(shock)] })]);
    expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM alert_outbox`.execute(tdb.db)).rows[0]!.n).toBe(0);
    expect(await applyOutbox(tdb.db)).toEqual([]);
    expect(again.results[0]).toMatchObject({ inserted: 0, duplicates: 1 });
    expect((await sql<{ occurrences: number }>`SELECT occurrences FROM alerts`.execute(tdb.db)).rows).toEqual([{ occurrences: 1 }]);
  });

  it('applies several decisions about one alert in their order, with those about other alerts', async () => {
    const a = row(deviceId, 30, 1);
    const b = row(deviceId, 31, 1);
    const c = row(deviceId, 32, 1);
    await writeGroup(tdb.db, [
      batch([a, b], { ...NO_EFFECTS, decisions: [decision(a, 'battery', 'low'), decision(a), decision(b, 'battery', 'high')] }),
      batch([c], { ...NO_EFFECTS, decisions: [decision(c, 'battery', 'low')] }),
    ]);
    const events = await applyOutbox(tdb.db);
    const battery = events.filter((e) => e.kind === 'battery');
    expect(battery.map((e) => [e.type, e.priority])).toEqual([['opened', 'low'], ['updated', 'high'], ['updated', 'high']]);
    expect(events.filter((e) => e.kind === 'shock_delivered').map((e) => e.type)).toEqual(['opened']);
    expect(events.map((e) => e.cursor)).toEqual([...events.map((e) => e.cursor)].sort((x, y) => x - y));
    const alerts = (await sql<{ kind: string; occurrences: number; priority: string; summary: string }>`
      SELECT kind, occurrences, priority, summary FROM alerts ORDER BY kind`.execute(tdb.db)).rows;
    expect(alerts).toEqual([
      { kind: 'battery', occurrences: 3, priority: 'high', summary: 'battery at 32' },
      { kind: 'shock_delivered', occurrences: 1, priority: 'high', summary: 'shock_delivered at 30' },
    ]);
    expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM alert_triggers`.execute(tdb.db)).rows[0]!.n).toBe(4);
  });
});
