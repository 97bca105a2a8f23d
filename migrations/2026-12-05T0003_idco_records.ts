import { sql, type Kysely } from 'kysely';

// Forward-only. Never import application code here: a migration must keep
// meaning what it meant the day it ran.

export async function up(db: Kysely<unknown>): Promise<void> {
  // What HL7 IDCO messages report beyond readings, by device serial (a device's records
  // stay with it whichever site it belongs to). Written before the message's readings, and
  // idempotent: a message posted twice adds nothing.

  // Arrhythmia episodes, one row per episode however many transmissions list it.
  await db.schema
    .createTable('device_episodes')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('serial', 'text', (c) => c.notNull())
    .addColumn('episode_key', 'text', (c) => c.notNull().check(sql`length(episode_key) <= 200`))
    .addColumn('class', 'text', (c) => c.notNull().check(sql`class IN ('vt', 'vf', 'nsvt', 'svt', 'af', 'other')`))
    .addColumn('type', 'text', (c) => c.notNull().check(sql`length(type) <= 400`))
    .addColumn('vendor_type', 'text', (c) => c.notNull().check(sql`length(vendor_type) <= 400`))
    .addColumn('at', 'timestamptz')
    .addColumn('duration_s', 'float8')
    .addColumn('therapy', 'text', (c) => c.notNull().check(sql`length(therapy) <= 500`))
    .addColumn('result', 'text', (c) => c.notNull().check(sql`length(result) <= 400`))
    .addColumn('reported_at', 'timestamptz', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('device_episodes_key', ['serial', 'episode_key'])
    .execute();

  // Each transmission's "recent" counters, as reported: the next one's readings are the
  // differences from these (src/ingest/idco/counters.ts).
  await db.schema
    .createTable('device_counters')
    .addColumn('serial', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull().check(sql`length(name) <= 120`))
    .addColumn('reported_at', 'timestamptz', (c) => c.notNull())
    .addColumn('value', 'integer', (c) => c.notNull().check(sql`value >= 0`))
    .addColumn('period_start', 'timestamptz')
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('device_counters_pkey', ['serial', 'name', 'reported_at'])
    .execute();

  // Programmed settings and lead status as each transmission reported them.
  await db.schema
    .createTable('device_observations')
    .addColumn('serial', 'text', (c) => c.notNull())
    .addColumn('ref', 'text', (c) => c.notNull().check(sql`length(ref) <= 120`))
    .addColumn('sub_id', 'text', (c) => c.notNull().check(sql`length(sub_id) <= 40`))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind IN ('setting', 'status')`))
    .addColumn('value', 'text', (c) => c.notNull().check(sql`length(value) <= 200`))
    .addColumn('unit', 'text', (c) => c.notNull().check(sql`length(unit) <= 40`))
    .addColumn('reported_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('device_observations_pkey', ['serial', 'ref', 'sub_id', 'reported_at'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
