import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { writeGroup, type WriteBatch } from '../../src/ingest/writer.ts';
import type { ReadingRow } from '../../src/store/readings.ts';
import { NO_EFFECTS, type EngineEffects } from '../../src/store/engine-effects.ts';

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
  await sql`TRUNCATE readings, reading_keys, engine_pending, quarantine, device_risk, risk_changes`.execute(tdb.db);
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
    context: { gatewayId: 1, siteId: 1, source: 'ws', batchId: null },
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
