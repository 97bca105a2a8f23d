import { sql, type RawBuilder } from 'kysely';
import type { Db } from './db.ts';
import { pgSafeJson, pgSafeText } from './text.ts';

// SQL of the ingest hot path: one statement per flush, arrays unnested.
//
// A reading's identity, (device_id, seq), is the primary key of `reading_keys`, not of
// `readings`: that table is partitioned by month of `at`, and PostgreSQL allows a unique key
// on it only if the key holds `at` (docs/partitions.md). Every insert below writes the keys
// first, in the same statement, so a key stored in any month fails the statement (or is
// skipped by ON CONFLICT) as the old primary key of `readings` did. Keys first in both
// statements: two flushes holding keys the other needs then wait on `reading_keys` alone,
// in key order, and cannot deadlock.

export interface ReadingRow {
  readonly deviceId: number;
  readonly seq: number;
  readonly at: number;
  readonly metricId: number;
  readonly value: number;
  readonly gatewayId: number;
  /** The engine's score; null for a reading its device's state had not taken in. */
  readonly score: number | null;
}

export interface QuarantineRow {
  readonly gatewayId: number | null;
  readonly siteId: number | null;
  readonly source: string;
  readonly batchId: string | null;
  readonly idx: number | null;
  readonly code: string;
  readonly message: string;
  readonly raw: unknown;
}

export interface StoredContent {
  readonly at: number;
  readonly metricId: number;
  readonly value: number;
}

type Executor = Pick<Db, 'executeQuery' | 'getExecutor'>;

/**
 * A numeric array as a PostgreSQL array literal. node-pg quotes and regex-escapes
 * every element of a JS array; for plain finite numbers that work is wasted, and
 * on the ingest path it cost more than the rest of the SQL preparation together.
 */
export function numericArray(values: readonly number[]): string {
  return `{${values.join(',')}}`;
}

/** Like numericArray, with NULL elements. */
export function nullableNumericArray(values: readonly (number | null)[]): string {
  return `{${values.map((v) => (v === null ? 'NULL' : v)).join(',')}}`;
}

function columns(rows: readonly ReadingRow[]) {
  const n = rows.length;
  const device = new Array<number>(n);
  const seq = new Array<number>(n);
  const at = new Array<number>(n);
  const metric = new Array<number>(n);
  const value = new Array<number>(n);
  const gateway = new Array<number>(n);
  const score = new Array<number | null>(n);
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    device[i] = r.deviceId;
    seq[i] = r.seq;
    at[i] = r.at;
    metric[i] = r.metricId;
    value[i] = r.value;
    gateway[i] = r.gatewayId;
    score[i] = r.score;
  }
  return {
    device: numericArray(device),
    seq: numericArray(seq),
    at: numericArray(at),
    metric: numericArray(metric),
    value: numericArray(value),
    gateway: numericArray(gateway),
    score: nullableNumericArray(score),
  };
}

const readingsSelect = (c: ReturnType<typeof columns>) => sql`
    SELECT d, s, to_timestamp(a / 1000) AS a, m, v, g, sc
    FROM unnest(${c.device}::int4[], ${c.seq}::int8[], ${c.at}::float8[],
                ${c.metric}::int2[], ${c.value}::float8[], ${c.gateway}::int4[], ${c.score}::float4[]) AS t(d, s, a, m, v, g, sc)`;

function quarantineInsert(rows: readonly QuarantineRow[]) {
  const text = (s: string | null) => (s === null ? null : pgSafeText(s));
  return sql`
    INSERT INTO quarantine (gateway_id, site_id, source, batch_id, idx, code, message, raw)
    SELECT * FROM unnest(${rows.map((r) => r.gatewayId)}::int4[], ${rows.map((r) => r.siteId)}::int4[],
                         ${rows.map((r) => r.source)}::text[], ${rows.map((r) => text(r.batchId))}::text[],
                         ${rows.map((r) => r.idx)}::int4[], ${rows.map((r) => r.code)}::text[],
                         ${rows.map((r) => text(r.message))}::text[], ${rows.map((r) => pgSafeJson(r.raw))}::jsonb[])`;
}

export function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';
}

export interface Written {
  /**
   * The keys (`device:seq`) this statement did not insert, with what was stored under each
   * before it (a resend, or a seq reused with other content); null when the key was stored
   * by a transaction that committed while this statement ran (look it up again). Every other
   * key of the rows was inserted.
   */
  readonly notInserted: Map<string, StoredContent | null>;
}

/**
 * Insert readings (keys already stored are skipped) and quarantine rows as ONE statement,
 * reading back in the same statement what is stored under the keys it skipped: one round trip
 * per group commit, resends included. `guard` is evaluated once before any row (the device
 * leases' fence: it raises when one moved). `items` gives further WITH items of the statement,
 * which may read the relation it is given, the keys this statement inserted: the engine's effects
 * are written only with the readings they came from (store/engine-effects.ts effectItems).
 */
export async function writeReadings(
  db: Executor,
  rows: readonly ReadingRow[],
  quarantine: readonly QuarantineRow[],
  opts: {
    readonly guard?: RawBuilder<unknown> | undefined;
    /** Given the relation of keys inserted, (device_id, seq): more WITH items. */
    readonly items?: (inserted: RawBuilder<unknown>) => readonly RawBuilder<unknown>[];
  } = {},
): Promise<Written> {
  if (rows.length === 0) {
    if (quarantine.length > 0) await quarantineInsert(quarantine).execute(db);
    return { notInserted: new Map() };
  }
  const more = [...(quarantine.length > 0 ? [sql`q AS (${quarantineInsert(quarantine)})`] : []), ...(opts.items?.(sql`k`) ?? [])];
  // The statement's snapshot predates its own inserts: the lookup finds only keys stored
  // before it, and the anti-join keeps it to the rows not inserted (few: resends).
  const res = await sql<{ d: number; s: number; at: Date | null; metric: number | null; value: number | null }>`
    WITH t AS MATERIALIZED (${readingsSelect(columns(rows))} ${opts.guard ? sql`WHERE ${opts.guard}` : sql``}),
    k AS (INSERT INTO reading_keys (device_id, seq, at) SELECT d, s, a FROM t ON CONFLICT DO NOTHING RETURNING device_id, seq),
    r AS (INSERT INTO readings (device_id, seq, at, metric, value, gateway_id, score)
          SELECT t.d, t.s, t.a, t.m, t.v, t.g, t.sc FROM t JOIN k ON k.device_id = t.d AND k.seq = t.s)
    ${more.length > 0 ? sql`, ${sql.join(more, sql`, `)}` : sql``}
    SELECT t.d, t.s, rd.at, rd.metric, rd.value
    FROM t
    LEFT JOIN reading_keys rk ON rk.device_id = t.d AND rk.seq = t.s
    LEFT JOIN readings rd ON rd.device_id = rk.device_id AND rd.at = rk.at AND rd.seq = rk.seq
    WHERE NOT EXISTS (SELECT 1 FROM k WHERE k.device_id = t.d AND k.seq = t.s)`.execute(db);
  const notInserted = new Map<string, StoredContent | null>();
  for (const r of res.rows) {
    notInserted.set(`${r.d}:${r.s}`, r.at === null ? null : { at: r.at.getTime(), metricId: r.metric!, value: r.value! });
  }
  return { notInserted };
}

/** What is stored under each key, for telling a duplicate from a seq_conflict. */
export async function storedContent(
  db: Executor,
  keys: ReadonlyArray<{ deviceId: number; seq: number }>,
): Promise<Map<string, StoredContent>> {
  // The key gives the reading's `at`, so each reading is looked up in its own month only.
  const res = await sql<{ device_id: number; seq: number; at: Date; metric: number; value: number }>`
    SELECT k.device_id, k.seq, r.at, r.metric, r.value
    FROM unnest(${keys.map((k) => k.deviceId)}::int4[], ${keys.map((k) => k.seq)}::int8[]) AS q(device_id, seq)
    JOIN reading_keys k ON k.device_id = q.device_id AND k.seq = q.seq
    JOIN readings r ON r.device_id = k.device_id AND r.at = k.at AND r.seq = k.seq`.execute(db);
  return new Map(
    res.rows.map((r) => [`${r.device_id}:${r.seq}`, { at: r.at.getTime(), metricId: r.metric, value: r.value }]),
  );
}

export async function insertQuarantine(db: Executor, rows: readonly QuarantineRow[]): Promise<void> {
  if (rows.length > 0) await quarantineInsert(rows).execute(db);
}

export interface LastSeen {
  readonly lastSeq: number;
  readonly lastAt: Date;
}

/**
 * Highest stored gateway seq (and its event time) per device serial, within one
 * site. Negative seqs belong to readings derived from HL7 messages, not to any
 * gateway's sequence, so they are left out.
 */
export async function lastSeqBySerial(db: Executor, siteId: number, serials: readonly string[]): Promise<Map<string, LastSeen>> {
  const res = await sql<{ serial: string; seq: number; at: Date }>`
    SELECT d.serial, r.seq, r.at
    FROM devices d
    CROSS JOIN LATERAL (
      SELECT seq, at FROM reading_keys WHERE device_id = d.id AND seq >= 0 ORDER BY seq DESC LIMIT 1
    ) r
    WHERE d.serial = ANY(${serials}::text[]) AND d.site_id = ${siteId}`.execute(db);
  return new Map(res.rows.map((r) => [r.serial, { lastSeq: r.seq, lastAt: r.at }]));
}
