// The migration to monthly partitions on a database that already holds readings: every row
// moves into its month, the columns and indexes stay equivalent, and dedupe still tells a
// resend from a seq_conflict, the same month or across months.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import pg from 'pg';
import pino from 'pino';
import { createDb, type DbHandle } from '../../src/store/db.ts';
import { createMigrator, migrateToLatest } from '../../src/store/migrate.ts';
import { writeGroup, type WriteBatch } from '../../src/ingest/group-write.ts';
import type { ReadingRow } from '../../src/store/readings.ts';
import { readingPartitions } from '../../src/store/partitions.ts';

const MIGRATION = '2026-12-07T0001_readings_partitioned';
const name = `t_${process.pid}_parts_${Math.random().toString(36).slice(2, 8)}`;
let handle: DbHandle;
let adminUrl: string;

const utc = (y: number, m: number, d: number, h = 0) => Date.UTC(y, m - 1, d, h);
const now = new Date();
const thisMonth = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
const monthsAhead = (n: number) => Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + n, 1);
const partitionOf = (ms: number) => {
  const d = new Date(ms);
  return `readings_${d.getUTCFullYear()}_${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
};

/** Readings as the unpartitioned table held them: [device, seq, at, metric, value]. */
const OLD: Array<[number, number, number, number, number]> = [
  [1, 1, utc(2025, 3, 4, 2), 5, 67.4],
  [1, 2, utc(2025, 3, 31, 23), 5, 66.1],
  [1, 3, utc(2025, 4, 1, 0), 29, 1], // an episode counter (readings_episode_idx)
  [1, 4, utc(2025, 6, 15), 23, 1], // a battery status (readings_battery_idx)
  [2, 1, utc(2023, 11, 2), 1, 60],
  [2, 2, thisMonth + 3_600_000, 1, 61],
];

beforeAll(async () => {
  adminUrl = inject('pgAdminUrl');
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  handle = createDb({ url: u.toString(), poolSize: 4, statementTimeoutMs: 15_000, connectTimeoutMs: 3000 }, pino({ level: 'silent' }));
  // The schema as it was just before the migration, with readings in it.
  const migrator = createMigrator(handle.db);
  const names = (await migrator.getMigrations()).map((m) => m.name);
  const before = names[names.indexOf(MIGRATION) - 1]!;
  const { error } = await migrator.migrateTo(before);
  if (error) throw error;
  for (const [device, seq, at, metric, value] of OLD) {
    await sql`INSERT INTO readings (device_id, seq, at, metric, value, gateway_id, score)
              VALUES (${device}, ${seq}, ${new Date(at)}, ${metric}, ${value}, 7, 0.25)`.execute(handle.db);
  }
  await migrateToLatest(handle.db);
});

afterAll(async () => {
  await handle?.close();
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
});

function batch(rows: ReadingRow[]): WriteBatch {
  return {
    rows,
    indexes: rows.map((_, i) => i),
    raws: rows.map((r) => ({ seq: r.seq })),
    quarantine: [],
    context: { gatewayId: null, siteId: null, source: 'ws', batchId: 'b1' },
  };
}

const row = (deviceId: number, seq: number, at: number, metricId: number, value: number): ReadingRow =>
  ({ deviceId, seq, at, metricId, value, gatewayId: 7, score: null });

describe('the migration to monthly partitions', () => {
  it('moves every reading into the partition of its month, with the same content', async () => {
    const res = await sql<{ device_id: number; seq: number; at: Date; metric: number; value: number; gateway_id: number; score: number; part: string }>`
      SELECT device_id, seq, at, metric, value, gateway_id, score, tableoid::regclass::text AS part FROM readings ORDER BY device_id, seq`.execute(handle.db);
    expect(res.rows.map((r) => [r.device_id, r.seq, r.at.getTime(), r.metric, r.value])).toEqual(OLD);
    for (const r of res.rows) {
      expect(r.part).toBe(partitionOf(r.at.getTime()));
      expect([r.gateway_id, r.score]).toEqual([7, 0.25]);
    }
    const keys = await sql<{ device_id: number; seq: number; at: Date }>`SELECT device_id, seq, at FROM reading_keys ORDER BY device_id, seq`.execute(handle.db);
    expect(keys.rows.map((k) => [k.device_id, k.seq, k.at.getTime()])).toEqual(OLD.map(([d, s, at]) => [d, s, at]));
  });

  it('makes a partition for every month from the oldest stored one to three months ahead, and a DEFAULT', async () => {
    const parts = await readingPartitions(handle.db);
    const names = parts.map((p) => p.name);
    expect(names.at(-1)).toBe('readings_default');
    expect(parts.at(-1)!.isDefault).toBe(true);
    expect(names[0]).toBe('readings_2023_11');
    for (let m = utc(2023, 11, 1); m <= monthsAhead(3); m = Date.UTC(new Date(m).getUTCFullYear(), new Date(m).getUTCMonth() + 1, 1)) {
      expect(names, partitionOf(m)).toContain(partitionOf(m));
    }
    expect(names).not.toContain(partitionOf(monthsAhead(4)));
    // Each month is [first instant, first instant of the next), in UTC.
    const march = parts.find((p) => p.name === 'readings_2025_03')!;
    expect([march.from!.toISOString(), march.to!.toISOString()]).toEqual(['2025-03-01T00:00:00.000Z', '2025-04-01T00:00:00.000Z']);
  });

  it('keeps the columns and their defaults, and equivalent indexes on every partition', async () => {
    const cols = await sql<{ column_name: string; data_type: string; is_nullable: string; column_default: string | null }>`
      SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns
      WHERE table_name = 'readings' AND table_schema = 'public' ORDER BY ordinal_position`.execute(handle.db);
    expect(cols.rows.map((c) => `${c.column_name} ${c.data_type} ${c.is_nullable}${c.column_default ? ` ${c.column_default}` : ''}`)).toEqual([
      'device_id integer NO', 'seq bigint NO', 'at timestamp with time zone NO', 'metric smallint NO', 'value double precision NO',
      'gateway_id integer NO', 'received_at timestamp with time zone NO now()', 'score real YES',
    ]);
    const idx = await sql<{ indexname: string; indexdef: string }>`
      SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('readings', 'reading_keys') ORDER BY indexname`.execute(handle.db);
    const defs = Object.fromEntries(idx.rows.map((r) => [r.indexname, r.indexdef.replace(/ ON (ONLY )?\S+ USING btree/, '')]));
    expect(defs).toEqual({
      reading_keys_pkey: 'CREATE UNIQUE INDEX reading_keys_pkey (device_id, seq)',
      readings_pkey: 'CREATE UNIQUE INDEX readings_pkey (device_id, at, seq)',
      readings_episode_idx: 'CREATE INDEX readings_episode_idx (device_id, at, seq) INCLUDE (metric, value) WHERE ((metric = ANY (ARRAY[25, 26, 28, 29])) AND (value > (0)::double precision))',
      readings_battery_idx: 'CREATE INDEX readings_battery_idx (device_id, at, seq) INCLUDE (value) WHERE (metric = 23)',
    });
    // Every partition carries the three.
    const perPartition = await sql<{ part: string; n: number }>`
      SELECT c.relname AS part, count(*)::int AS n FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      JOIN pg_index x ON x.indrelid = c.oid WHERE i.inhparent = 'readings'::regclass GROUP BY c.relname`.execute(handle.db);
    for (const p of perPartition.rows) expect(p.n, p.part).toBe(3);
  });

  it('still counts a resend as a duplicate and the same seq with other content as seq_conflict, across months too', async () => {
    const [b] = (await writeGroup(handle.db, [batch([
      row(1, 1, utc(2025, 3, 4, 2), 5, 67.4), // a resend of a migrated reading: duplicate
      row(1, 2, utc(2025, 3, 31, 23), 5, 99), // same seq, same month, another value: conflict
      row(1, 3, utc(2025, 11, 20), 29, 1), // same seq, another month: conflict
      row(2, 1, thisMonth + 7_200_000, 1, 60), // same seq, stored 2023, now this month: conflict
      row(1, 5, utc(2025, 4, 2), 5, 65), // new, in a migrated month
      row(3, 1, utc(2019, 1, 1), 5, 70), // new, in a month without a partition: DEFAULT
    ])])).results;
    expect({ inserted: b!.inserted, duplicates: b!.duplicates, conflicts: b!.conflicts.map((c) => c.index) })
      .toEqual({ inserted: 2, duplicates: 1, conflicts: [1, 2, 3] });
    const stored = await sql<{ device_id: number; seq: number; at: Date; value: number; part: string }>`
      SELECT device_id, seq, at, value, tableoid::regclass::text AS part FROM readings WHERE (device_id, seq) IN ((1, 1), (1, 2), (1, 3), (2, 1), (1, 5), (3, 1))
      ORDER BY device_id, seq`.execute(handle.db);
    expect(stored.rows.map((r) => `${r.device_id}/${r.seq} ${r.at.toISOString()} ${r.value} ${r.part}`)).toEqual([
      '1/1 2025-03-04T02:00:00.000Z 67.4 readings_2025_03',
      '1/2 2025-03-31T23:00:00.000Z 66.1 readings_2025_03',
      '1/3 2025-04-01T00:00:00.000Z 1 readings_2025_04',
      '1/5 2025-04-02T00:00:00.000Z 65 readings_2025_04',
      '2/1 2023-11-02T00:00:00.000Z 60 readings_2023_11',
      '3/1 2019-01-01T00:00:00.000Z 70 readings_default',
    ]);
    const q = await sql<{ idx: number; code: string }>`SELECT idx, code FROM quarantine ORDER BY idx`.execute(handle.db);
    expect(q.rows).toEqual([{ idx: 1, code: 'seq_conflict' }, { idx: 2, code: 'seq_conflict' }, { idx: 3, code: 'seq_conflict' }]);
  });

  it('takes a group with no stored key on the fast path, and a cross-month conflict off it', async () => {
    // Only new keys: one statement, all stored.
    const [fresh] = (await writeGroup(handle.db, [batch([row(4, 1, utc(2025, 3, 5), 5, 70), row(4, 2, utc(2025, 5, 5), 5, 71)])])).results;
    expect([fresh!.inserted, fresh!.duplicates, fresh!.conflicts.length]).toEqual([2, 0, 0]);
    // The same seq in a third month, beside a new one: the new one is stored, the other refused.
    const [mixed] = (await writeGroup(handle.db, [batch([row(4, 3, utc(2025, 7, 1), 5, 72), row(4, 1, utc(2025, 8, 1), 5, 70)])])).results;
    expect([mixed!.inserted, mixed!.duplicates, mixed!.conflicts.map((c) => c.index)]).toEqual([1, 0, [1]]);
    const n = await sql<{ n: number }>`SELECT count(*)::int AS n FROM readings WHERE device_id = 4 AND seq = 1`.execute(handle.db);
    expect(n.rows[0]!.n).toBe(1);
  });
});
