import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { writeGroup, type WriteBatch } from '../../src/ingest/group-write.ts';
import type { ReadingRow } from '../../src/store/readings.ts';

let tdb: TestDatabase;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
});
afterAll(async () => {
  await tdb?.drop();
});

function batch(rows: ReadingRow[]): WriteBatch {
  return {
    rows,
    indexes: rows.map((_, i) => i),
    raws: rows.map(() => ({})),
    quarantine: [],
    context: { gatewayId: 1, siteId: 1, source: 'ws', batchId: null },
  };
}

describe('two group commits in flight with the same keys', () => {
  it('do not deadlock, whatever order their rows come in', async () => {
    const rows: ReadingRow[] = [];
    for (let d = 1; d <= 50; d++) {
      for (let s = 0; s < 100; s++) rows.push({ deviceId: d, seq: s, at: Date.UTC(2026, 0, 1) + s * 60_000, metricId: 5, value: 70, gatewayId: 1, score: 0 });
    }
    // Ascending against descending: unsorted, each would hold what the other needs.
    const [up, down] = await Promise.all([writeGroup(tdb.db, [batch(rows)]), writeGroup(tdb.db, [batch([...rows].reverse())])]);
    expect(up.results[0]!.inserted + down.results[0]!.inserted).toBe(rows.length);
    expect(up.results[0]!.duplicates + down.results[0]!.duplicates).toBe(rows.length);
    expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM readings`.execute(tdb.db)).rows[0]!.n).toBe(rows.length);
  });
});
