import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { RecentChanges } from '../../src/alerts/recent.ts';
import { writeGroup } from '../../src/ingest/group-write.ts';
import { NO_EFFECTS } from '../../src/store/engine-effects.ts';
import { applyOutbox } from '../helpers/outbox.ts';

// The alert stream's shared cache of recent changes: kept while clients are connected,
// forgotten when none is, and started again from the newest change.

let tdb: TestDatabase;
let deviceId: number;
let seq = 0;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  await sql`INSERT INTO sites (code, name) VALUES ('rc', 'Recent changes')`.execute(tdb.db);
  deviceId = (await sql<{ id: number }>`INSERT INTO devices (serial, site_id) SELECT 'RC-1', id FROM sites WHERE code = 'rc' RETURNING id`.execute(tdb.db)).rows[0]!.id;
});
afterAll(async () => {
  await tdb?.drop();
});

/** One engine decision committed with its reading and applied: one alert event. */
async function change(): Promise<number> {
  const s = ++seq;
  const at = Date.UTC(2026, 0, 1) + s * 60_000;
  await writeGroup(tdb.db, [{
    rows: [{ deviceId, seq: s, at, metricId: 5, value: 70, gatewayId: 1, score: 1 }],
    indexes: [0], raws: [{}], quarantine: [], context: { gatewayId: null, siteId: null, source: 'ws', batchId: null },
    effects: { ...NO_EFFECTS, decisions: [{ deviceId, decision: {
      kind: 'shock_delivered', priority: 'high', action: 'open', score: 1, summary: `shock ${s}`, evidence: {},
      trigger: { seq: s, metric: 'shocks', value: 1, at },
    } }] },
  }]);
  return (await applyOutbox(tdb.db))[0]!.cursor;
}

describe('RecentChanges', () => {
  it('serves the changes after a cursor it holds, and none once forgotten, until it starts again from the newest', async () => {
    const recent = new RecentChanges(tdb.db);
    const before = await change();
    await recent.refresh(); // starts from the newest change
    expect(recent.after(before, null)).toEqual([]);
    const c1 = await change();
    const c2 = await change();
    await recent.refresh();
    expect(recent.after(before, null)!.map((c) => c.cursor)).toEqual([c1, c2]);

    recent.forget();
    expect(recent.after(c2, null)).toBeNull(); // a client now reads the database itself
    const c3 = await change();
    await recent.refresh(); // starts again from the newest (c3), not from where it stopped
    expect(recent.lastCursor).toBe(c3);
    expect(recent.after(c2, null)).toBeNull();
    expect(recent.after(c3, null)).toEqual([]);
    const c4 = await change();
    await recent.refresh();
    expect(recent.after(c3, null)!.map((c) => c.cursor)).toEqual([c4]);
  });
});
