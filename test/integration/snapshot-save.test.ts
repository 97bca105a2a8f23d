import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { saveSnapshots, type SnapshotRow } from '../../src/store/engine-history.ts';
import { acquireLeases, registerInstance } from '../../src/store/leases.ts';

// Engine snapshots go to the database as one JSON array of states (not a jsonb[] of escaped
// texts): each device keeps its own state, exactly, whatever its strings hold, and under
// fences only the devices whose lease is still held are written.

let tdb: TestDatabase;
let ids: number[];
const T0 = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  await sql`INSERT INTO sites (code, name) VALUES ('ss', 'Snapshots')`.execute(tdb.db);
  ids = (await sql<{ id: number }>`
    INSERT INTO devices (serial, site_id) SELECT s, (SELECT id FROM sites WHERE code = 'ss') FROM unnest(ARRAY['SS-1', 'SS-2', 'SS-3']) AS s
    RETURNING id`.execute(tdb.db)).rows.map((r) => r.id).sort((a, b) => a - b);
});
afterAll(async () => {
  await tdb?.drop();
});

const stored = async () =>
  new Map((await sql<{ device_id: number; at: Date; seq: number; state: unknown }>`SELECT device_id, at, seq, state FROM engine_snapshots ORDER BY device_id, at`
    .execute(tdb.db)).rows.map((r) => [`${r.device_id}@${r.at.getTime()}`, { seq: r.seq, state: r.state }]));

describe('saveSnapshots', () => {
  it('stores each device its own state, exactly, quotes, backslashes and non-ASCII included', async () => {
    const states = [
      { version: 3, note: 'a "quoted" word, a \\ backslash, a {brace} and a comma,', values: [1.5, -0.25, 1e-7, 123456789.123] },
      { version: 3, note: 'été, 心拍, 💓, tab\there, newline\nthere', nested: { empty: {}, list: [] } },
      { version: 3, note: '', values: [] },
    ];
    const rows: SnapshotRow[] = ids.map((deviceId, i) => ({ deviceId, at: T0 + i * DAY, seq: 10 + i, state: JSON.stringify(states[i]) }));
    await saveSnapshots(tdb.db, rows, 30 * DAY);
    const got = await stored();
    expect(got.size).toBe(3);
    ids.forEach((id, i) => expect(got.get(`${id}@${T0 + i * DAY}`)).toEqual({ seq: 10 + i, state: states[i] }));
  });

  it('replaces a snapshot at the same position and prunes those older than the keep', async () => {
    const id = ids[0]!;
    await saveSnapshots(tdb.db, [{ deviceId: id, at: T0, seq: 10, state: JSON.stringify({ version: 3, again: true }) }], 30 * DAY);
    expect((await stored()).get(`${id}@${T0}`)).toEqual({ seq: 10, state: { version: 3, again: true } });
    await saveSnapshots(tdb.db, [{ deviceId: id, at: T0 + 40 * DAY, seq: 50, state: '{"version":3,"later":1}' }], 30 * DAY);
    const got = await stored();
    expect(got.has(`${id}@${T0}`)).toBe(false);
    expect(got.get(`${id}@${T0 + 40 * DAY}`)).toEqual({ seq: 50, state: { version: 3, later: 1 } });
  });

  it('under fences, writes only the devices whose lease is still held', async () => {
    await sql`TRUNCATE engine_snapshots`.execute(tdb.db);
    const owner = randomUUID();
    await registerInstance(tdb.db, owner, 60_000);
    const first = await acquireLeases(tdb.db, owner, ids);
    // The second device's lease is taken again: the fence its state was loaded under is stale.
    const again = await acquireLeases(tdb.db, owner, [ids[1]!]);
    expect(again.get(ids[1]!)).toBeGreaterThan(first.get(ids[1]!)!);
    const rows: SnapshotRow[] = ids.map((deviceId, i) => ({ deviceId, at: T0, seq: 1, state: JSON.stringify({ version: 3, device: i }) }));
    await saveSnapshots(tdb.db, rows, 30 * DAY, 0, { owner, devices: ids, fences: ids.map((id) => first.get(id)!) });
    const got = await stored();
    expect([...got.keys()].sort()).toEqual([`${ids[0]}@${T0}`, `${ids[2]}@${T0}`].sort());
    expect(got.get(`${ids[2]}@${T0}`)).toEqual({ seq: 1, state: { version: 3, device: 2 } });
  });
});
