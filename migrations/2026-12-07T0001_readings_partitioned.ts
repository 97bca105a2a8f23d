import { sql, type Kysely } from 'kysely';

// Forward-only. Never import application code here: a migration must keep
// meaning what it meant the day it ran.

/** Months ahead of the current one given a partition now (the service keeps its own count later). */
const AHEAD = 3;
/** Empty months are filled in between the oldest stored month and now, at most this far back. */
const FILL_BACK_MONTHS = 120;

const ymd = (d: Date) => d.toISOString().slice(0, 10);
const addMonths = (d: Date, n: number) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1));
const partitionName = (d: Date) => `readings_${d.getUTCFullYear()}_${String(d.getUTCMonth() + 1).padStart(2, '0')}`;

export async function up(db: Kysely<unknown>): Promise<void> {
  // `readings` becomes a table partitioned by calendar month (UTC) of `at`, so that old
  // months can be detached and dropped whole (retention) instead of deleted row by row.
  //
  // PostgreSQL allows a unique constraint on a partitioned table only if it holds the
  // partition key, so (device_id, seq) cannot stay the primary key of `readings`: a per-
  // partition unique index would leave the same seq free in every other month. A reading's
  // identity (the protocol's dedupe and seq_conflict) moves to `reading_keys`, a narrow
  // unpartitioned table with (device_id, seq) as its primary key and the reading's `at`
  // (which finds the reading's partition). Every insert writes its keys in the same
  // statement (src/store/readings.ts): a key already stored fails the whole statement or is
  // skipped by ON CONFLICT, as the old primary key did. `readings` keeps
  // (device_id, at, seq) as its primary key: device and time ranges, pruned by month.
  await sql`LOCK TABLE readings IN ACCESS EXCLUSIVE MODE`.execute(db);
  await sql`ALTER TABLE readings RENAME TO readings_unpartitioned`.execute(db);

  await sql`
    CREATE TABLE readings (
      device_id integer NOT NULL,
      seq bigint NOT NULL,
      at timestamptz NOT NULL,
      metric smallint NOT NULL,
      value double precision NOT NULL,
      gateway_id integer NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now(),
      score real
    ) PARTITION BY RANGE (at)`.execute(db);

  // One partition per month from the oldest stored month to AHEAD months after this one
  // (empty months more than FILL_BACK_MONTHS back are skipped: a device whose clock said
  // 1990 must not make 400 partitions), and a DEFAULT partition, so that an insert never
  // fails for want of a partition. The service moves rows out of DEFAULT into months of
  // their own (src/partitions/maintenance.ts).
  const stored = await sql<{ month: Date }>`
    SELECT DISTINCT date_trunc('month', at, 'UTC') AS month FROM readings_unpartitioned`.execute(db);
  const now = (await sql<{ month: Date }>`SELECT date_trunc('month', now(), 'UTC') AS month`.execute(db)).rows[0]!.month;
  const months = new Map<string, Date>();
  for (const { month } of stored.rows) months.set(ymd(month), month);
  const oldest = stored.rows.reduce((min, r) => (r.month < min ? r.month : min), now);
  const fillFrom = oldest < addMonths(now, -FILL_BACK_MONTHS) ? addMonths(now, -FILL_BACK_MONTHS) : oldest;
  for (let m = fillFrom; m <= addMonths(now, AHEAD); m = addMonths(m, 1)) months.set(ymd(m), m);
  for (const m of [...months.values()].sort((a, b) => a.getTime() - b.getTime())) {
    await sql`
      CREATE TABLE ${sql.id(partitionName(m))} PARTITION OF readings
      FOR VALUES FROM (${sql.lit(`${ymd(m)} 00:00:00+00`)}) TO (${sql.lit(`${ymd(addMonths(m, 1))} 00:00:00+00`)})`.execute(db);
  }
  await sql`CREATE TABLE readings_default PARTITION OF readings DEFAULT`.execute(db);

  // Rows first, indexes after: one sort per index instead of a descent per row.
  await sql`INSERT INTO readings SELECT * FROM readings_unpartitioned`.execute(db);
  await sql`
    CREATE TABLE reading_keys (
      device_id integer NOT NULL,
      seq bigint NOT NULL,
      at timestamptz NOT NULL
    )`.execute(db);
  await sql`INSERT INTO reading_keys (device_id, seq, at) SELECT device_id, seq, at FROM readings_unpartitioned`.execute(db);
  await sql`DROP TABLE readings_unpartitioned`.execute(db);

  await sql`ALTER TABLE reading_keys ADD CONSTRAINT reading_keys_pkey PRIMARY KEY (device_id, seq)`.execute(db);
  await sql`ALTER TABLE readings ADD CONSTRAINT readings_pkey PRIMARY KEY (device_id, at, seq)`.execute(db);
  // As in 2026-11-30T0006_export.ts, now one index per partition.
  await sql`
    CREATE INDEX readings_episode_idx ON readings (device_id, at, seq) INCLUDE (metric, value)
    WHERE metric IN (25, 26, 28, 29) AND value > 0`.execute(db);
  await sql`
    CREATE INDEX readings_battery_idx ON readings (device_id, at, seq) INCLUDE (value)
    WHERE metric = 23`.execute(db);

  // Detached months wait here while they are archived (a crash in between leaves them
  // here, and the next maintenance run finishes the job).
  await sql`CREATE SCHEMA IF NOT EXISTS archive`.execute(db);
  await sql`ANALYZE readings`.execute(db);
  await sql`ANALYZE reading_keys`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
