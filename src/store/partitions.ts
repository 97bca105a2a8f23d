import { sql } from 'kysely';
import type { Db } from './db.ts';

// SQL of the monthly partitions of `readings` (docs/partitions.md): what exists, a month
// created (rows of it waiting in the DEFAULT partition moved in), a month detached into the
// `archive` schema, read out in chunks as CSV lines, its keys forgotten, dropped; and the
// quarantine's retention. The decisions (which months, when) are src/partitions/.

type Executor = Pick<Db, 'executeQuery' | 'getExecutor'>;

/** The first instant of a UTC calendar month, as epoch ms (month 0 = January). */
export function monthStart(year: number, month: number): number {
  return Date.UTC(year, month, 1);
}

/** `readings_2026_01` for January 2026 (a month's start, epoch ms). */
export function partitionName(start: number): string {
  const d = new Date(start);
  return `readings_${d.getUTCFullYear()}_${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** The month a partition name stands for (its start, epoch ms), or null. */
export function monthOfName(name: string): number | null {
  const m = /^readings_(\d{4})_(\d{2})$/.exec(name);
  if (!m) return null;
  const month = Number(m[2]);
  return month >= 1 && month <= 12 ? monthStart(Number(m[1]), month - 1) : null;
}

export const DEFAULT_PARTITION = 'readings_default';
export const ARCHIVE_SCHEMA = 'archive';

export interface PartitionRow {
  readonly name: string;
  /** Null for the DEFAULT partition. */
  readonly from: Date | null;
  readonly to: Date | null;
  readonly isDefault: boolean;
  /** PostgreSQL's estimate (pg_class.reltuples); null before the table was first analysed. */
  readonly rowsEstimate: number | null;
  /** Table, indexes and TOAST. */
  readonly bytes: number;
}

/** The partitions of `readings`, oldest first, DEFAULT last. */
export async function readingPartitions(db: Executor): Promise<PartitionRow[]> {
  const res = await sql<{ name: string; bound: string; from: Date | null; to: Date | null; rows: number; bytes: number }>`
    SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound,
           (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \\(''([^'']+)''\\)'))[1]::timestamptz AS "from",
           (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \\(''([^'']+)''\\)'))[1]::timestamptz AS "to",
           c.reltuples::float8 AS rows, pg_total_relation_size(c.oid)::float8 AS bytes
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'public.readings'::regclass
    ORDER BY c.relpartbound IS NULL, 3 NULLS LAST, c.relname`.execute(db);
  return res.rows.map((r) => ({
    name: r.name,
    from: r.from,
    to: r.to,
    isDefault: r.bound === 'DEFAULT',
    rowsEstimate: r.rows < 0 ? null : Math.round(r.rows),
    bytes: r.bytes,
  }));
}

export interface ArchivedTable {
  readonly name: string;
  readonly rowsEstimate: number | null;
  readonly bytes: number;
}

/** Months detached from `readings` and not yet archived and dropped (the `archive` schema). */
export async function detachedMonths(db: Executor): Promise<ArchivedTable[]> {
  const res = await sql<{ name: string; rows: number; bytes: number }>`
    SELECT c.relname AS name, c.reltuples::float8 AS rows, pg_total_relation_size(c.oid)::float8 AS bytes
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ${ARCHIVE_SCHEMA} AND c.relkind = 'r' AND c.relname ~ '^readings_[0-9]{4}_[0-9]{2}$'
    ORDER BY c.relname`.execute(db);
  return res.rows.map((r) => ({ name: r.name, rowsEstimate: r.rows < 0 ? null : Math.round(r.rows), bytes: r.bytes }));
}

/** The months (start, epoch ms) that have rows in the DEFAULT partition, with their counts. */
export async function monthsInDefault(db: Executor): Promise<Array<{ month: number; rows: number }>> {
  const res = await sql<{ month: Date; rows: number }>`
    SELECT date_trunc('month', at, 'UTC') AS month, count(*)::float8 AS rows
    FROM ${sql.id(DEFAULT_PARTITION)} GROUP BY 1 ORDER BY 1`.execute(db);
  return res.rows.map((r) => ({ month: r.month.getTime(), rows: r.rows }));
}

const lit = (ms: number) => sql.lit(new Date(ms).toISOString());

/**
 * Give a month a partition of its own: a table like `readings`, attached to it, holding the
 * month's rows moved out of DEFAULT when `fromDefault` says there are some. Returns the rows
 * moved; `created` false if the month has a partition already.
 *
 * An empty month (one ahead) is attached without stopping anyone: CREATE TABLE … PARTITION OF
 * would wait for every statement on `readings` to end (it locks the whole table), where ATTACH
 * locks `readings` only against other schema changes, and DEFAULT (which it scans) for the
 * moment of the scan. Moving rows is another matter: a statement planned before the attach
 * knows only the old partitions, and run after the move would find the rows neither in
 * DEFAULT nor anywhere it looks. So a move locks `readings` whole, for the time it takes
 * (the rows that fall into DEFAULT are few).
 */
export async function attachMonth(
  db: Db, start: number, end: number, lockTimeoutMs: number, fromDefault: boolean,
): Promise<{ created: boolean; moved: number }> {
  const name = partitionName(start);
  return db.transaction().execute(async (trx) => {
    await sql`SELECT set_config('lock_timeout', ${`${lockTimeoutMs}ms`}, true)`.execute(trx);
    if (fromDefault) await sql`LOCK TABLE readings IN ACCESS EXCLUSIVE MODE`.execute(trx);
    const exists = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'public.readings'::regclass AND c.relname = ${name}`.execute(trx);
    if (exists.rows[0]!.n > 0) return { created: false, moved: 0 };
    await sql`LOCK TABLE ${sql.id(DEFAULT_PARTITION)} IN ACCESS EXCLUSIVE MODE`.execute(trx);
    await sql`CREATE TABLE ${sql.id(name)} (LIKE readings INCLUDING DEFAULTS)`.execute(trx);
    // Without the lock on `readings` a row of the month found in DEFAULT stays there, and the
    // ATTACH below fails (and the next run moves it under the lock).
    const moved = fromDefault ? await sql`
      WITH m AS (DELETE FROM ${sql.id(DEFAULT_PARTITION)} WHERE at >= ${lit(start)}::timestamptz AND at < ${lit(end)}::timestamptz RETURNING *)
      INSERT INTO ${sql.id(name)} SELECT * FROM m`.execute(trx) : { numAffectedRows: 0n };
    await sql`
      ALTER TABLE readings ATTACH PARTITION ${sql.id(name)}
      FOR VALUES FROM (${lit(start)}) TO (${lit(end)})`.execute(trx);
    return { created: true, moved: Number(moved.numAffectedRows ?? 0) };
  });
}

/**
 * Reclaim what moving rows out of DEFAULT left behind, and give the tables statistics (the
 * planner's estimates, and `partitions list`). VACUUM cannot run in a transaction: this is a
 * statement of its own.
 */
export async function vacuumAnalyze(db: Executor, names: readonly string[]): Promise<void> {
  for (const name of names) await sql`VACUUM (ANALYZE) ${sql.id(name)}`.execute(db);
}

/**
 * Detach a month from `readings` into the `archive` schema, in one transaction: from then
 * on no query of the service sees it. DETACH locks `readings` whole, briefly; a statement
 * holding it longer than `lockTimeoutMs` makes this fail (and the next run try again)
 * rather than queue every insert behind it.
 */
export async function detachMonth(db: Db, name: string, lockTimeoutMs: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`SELECT set_config('lock_timeout', ${`${lockTimeoutMs}ms`}, true)`.execute(trx);
    await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(ARCHIVE_SCHEMA)}`.execute(trx);
    await sql`ALTER TABLE readings DETACH PARTITION ${sql.id(name)}`.execute(trx);
    await sql`ALTER TABLE ${sql.id(name)} SET SCHEMA ${sql.id(ARCHIVE_SCHEMA)}`.execute(trx);
  });
}

/** The columns of an archive file, in order: those of `readings`. */
export const ARCHIVE_COLUMNS = ['device_id', 'seq', 'at', 'metric', 'value', 'gateway_id', 'received_at', 'score'] as const;

export interface ArchiveChunk {
  /** One CSV line per row (no newline), in ARCHIVE_COLUMNS order. */
  readonly lines: string[];
  /** Where the next chunk starts; null after the last. */
  readonly next: ArchiveCursor | null;
}

export interface ArchiveCursor {
  readonly deviceId: number;
  readonly at: string;
  readonly seq: number;
}

// Times in UTC to the microsecond, numbers as PostgreSQL prints them (float8 in shortest
// exact form): a file `\copy readings FROM … CSV HEADER` reads back exactly. No value holds
// a comma or a quote, so nothing needs quoting; an empty field is NULL.
const utc = (col: string) => sql`to_char(${sql.ref(col)} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Rows of a detached month after `after`, in primary key order, as CSV lines. */
export async function archiveChunk(db: Executor, name: string, after: ArchiveCursor | null, limit: number): Promise<ArchiveChunk> {
  const res = await sql<{ line: string; device_id: number; at: string; seq: number }>`
    SELECT concat_ws(',', device_id, seq, ${utc('at')}, metric, value, gateway_id, ${utc('received_at')}, coalesce(score::text, '')) AS line,
           device_id, ${utc('at')} AS at, seq
    FROM ${sql.table(`${ARCHIVE_SCHEMA}.${name}`)}
    ${after ? sql`WHERE (device_id, at, seq) > (${after.deviceId}::int4, ${after.at}::timestamptz, ${after.seq}::int8)` : sql``}
    ORDER BY device_id, at, seq LIMIT ${limit}`.execute(db);
  const last = res.rows.at(-1);
  return {
    lines: res.rows.map((r) => r.line),
    next: last && res.rows.length === limit ? { deviceId: last.device_id, at: last.at, seq: last.seq } : null,
  };
}

/** Exact row count of a detached month. */
export async function detachedRowCount(db: Executor, name: string): Promise<number> {
  const res = await sql<{ n: number }>`SELECT count(*)::float8 AS n FROM ${sql.table(`${ARCHIVE_SCHEMA}.${name}`)}`.execute(db);
  return res.rows[0]!.n;
}

/**
 * Forget the keys of up to `limit` readings of a detached month, from the device after
 * `afterDevice` on (whole devices at a time, so a chunk ends on a device boundary unless
 * one device has more than `limit` keys there); returns the keys deleted and the last
 * device seen (null when no device is left). A key is deleted only if it still points at
 * that month's reading (same `at`).
 */
export async function forgetArchivedKeys(
  db: Executor, name: string, afterDevice: number, limit: number,
): Promise<{ deleted: number; lastDevice: number | null }> {
  const devices = await sql<{ device_id: number }>`
    SELECT DISTINCT device_id FROM (
      SELECT device_id FROM ${sql.table(`${ARCHIVE_SCHEMA}.${name}`)} WHERE device_id > ${afterDevice} ORDER BY device_id LIMIT ${limit}
    ) d ORDER BY device_id`.execute(db);
  if (devices.rows.length === 0) return { deleted: 0, lastDevice: null };
  const ids = devices.rows.map((r) => r.device_id);
  const res = await sql`
    DELETE FROM reading_keys k USING ${sql.table(`${ARCHIVE_SCHEMA}.${name}`)} a
    WHERE a.device_id = ANY(${ids}::int4[]) AND k.device_id = a.device_id AND k.seq = a.seq AND k.at = a.at`.execute(db);
  return { deleted: Number(res.numAffectedRows ?? 0), lastDevice: ids.at(-1)! };
}

export async function dropDetached(db: Executor, name: string): Promise<void> {
  await sql`DROP TABLE ${sql.table(`${ARCHIVE_SCHEMA}.${name}`)}`.execute(db);
}

export interface RestoreRow {
  readonly deviceId: number;
  readonly seq: number;
  /** Timestamps as text, as an archive file holds them. */
  readonly at: string;
  readonly metric: number;
  readonly value: number;
  readonly gatewayId: number;
  readonly receivedAt: string;
  readonly score: number | null;
}

const restoreSelect = (rows: readonly RestoreRow[]) => sql`
  SELECT * FROM unnest(${rows.map((r) => r.deviceId)}::int4[], ${rows.map((r) => r.seq)}::int8[], ${rows.map((r) => r.at)}::timestamptz[],
                       ${rows.map((r) => r.metric)}::int2[], ${rows.map((r) => r.value)}::float8[], ${rows.map((r) => r.gatewayId)}::int4[],
                       ${rows.map((r) => r.receivedAt)}::timestamptz[], ${rows.map((r) => r.score)}::float4[])
    AS t(device_id, seq, at, metric, value, gateway_id, received_at, score)`;

/**
 * Put archived readings back into `readings`, keys first as every insert does; a reading
 * whose (device, seq) is stored again meanwhile is skipped. Returns how many were restored.
 */
export async function restoreReadings(db: Executor, rows: readonly RestoreRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const res = await sql`
    WITH t AS MATERIALIZED (${restoreSelect(rows)}),
    k AS (INSERT INTO reading_keys (device_id, seq, at) SELECT device_id, seq, at FROM t ON CONFLICT DO NOTHING RETURNING device_id, seq)
    INSERT INTO readings (device_id, seq, at, metric, value, gateway_id, received_at, score)
    SELECT t.* FROM t JOIN k ON k.device_id = t.device_id AND k.seq = t.seq`.execute(db);
  return Number(res.numAffectedRows ?? 0);
}

/** A table of its own, shaped like `readings`, to restore an archive into for reading only. */
export async function createRestoreTable(db: Executor, table: string): Promise<void> {
  await sql`CREATE TABLE ${sql.id(table)} (LIKE readings INCLUDING DEFAULTS)`.execute(db);
}

export async function insertIntoRestoreTable(db: Executor, table: string, rows: readonly RestoreRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const res = await sql`INSERT INTO ${sql.id(table)} ${restoreSelect(rows)}`.execute(db);
  return Number(res.numAffectedRows ?? 0);
}

/** Quarantine rows received before `before`. */
export async function quarantineCountBefore(db: Executor, before: Date): Promise<number> {
  const res = await sql<{ n: number }>`SELECT count(*)::float8 AS n FROM quarantine WHERE received_at < ${before}`.execute(db);
  return res.rows[0]!.n;
}

/** Delete up to `limit` quarantine rows received before `before`, oldest first; returns how many. */
export async function deleteQuarantineChunk(db: Executor, before: Date, limit: number): Promise<number> {
  const res = await sql`
    DELETE FROM quarantine WHERE id = ANY(ARRAY(
      SELECT id FROM quarantine WHERE received_at < ${before} ORDER BY received_at LIMIT ${limit}))`.execute(db);
  return Number(res.numAffectedRows ?? 0);
}

/** Run `task` holding the partition maintenance lock (one instance at a time); null if another holds it. */
export async function withMaintenanceLock<T>(db: Db, task: () => Promise<T>): Promise<T | null> {
  // A session lock needs one connection for the whole run; the task's own statements go
  // through the pool (long runs must not hold a transaction open).
  return db.connection().execute(async (conn) => {
    const got = await sql<{ ok: boolean }>`SELECT pg_try_advisory_lock(${MAINTENANCE_LOCK}) AS ok`.execute(conn);
    if (!got.rows[0]!.ok) return null;
    try {
      return await task();
    } finally {
      await sql`SELECT pg_advisory_unlock(${MAINTENANCE_LOCK})`.execute(conn);
    }
  });
}

/** An advisory lock key of its own (as data-keys.ts and engine-effects.ts have theirs). */
const MAINTENANCE_LOCK = 7226638;
