import { sql, type Kysely } from 'kysely';

// Forward-only. Never import application code here: a migration must keep
// meaning what it meant the day it ran.

export async function up(db: Kysely<unknown>): Promise<void> {
  // Nullable, no default: adding it rewrites nothing. NULL means "not scored yet"
  // (a late reading waiting for its device's replay).
  await sql`ALTER TABLE readings ADD COLUMN score real`.execute(db);

  // The engine's state of a device as of one reading (at, seq): a restart or a late
  // reading replays the stored readings after the newest snapshot that precedes it.
  await db.schema
    .createTable('engine_snapshots')
    .addColumn('device_id', 'integer', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('state', 'jsonb', (c) => c.notNull())
    .addColumn('saved_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('engine_snapshots_pkey', ['device_id', 'at', 'seq'])
    .execute();

  // Devices with stored readings the engine has not taken in yet (late readings),
  // with the earliest of them: written in the transaction that stores them, so a
  // crash before the replay cannot lose the work.
  await db.schema
    .createTable('engine_pending')
    .addColumn('device_id', 'integer', (c) => c.primaryKey())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('alerts')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('device_id', 'integer', (c) => c.notNull().references('devices.id'))
    .addColumn('site_id', 'integer', (c) => c.notNull().references('sites.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('priority', 'text', (c) => c.notNull().check(sql`priority IN ('low', 'medium', 'high')`))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('open').check(sql`status IN ('open', 'acknowledged', 'resolved')`))
    .addColumn('opened_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull())
    .addColumn('raised_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('occurrences', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('trigger', 'jsonb', (c) => c.notNull())
    .addColumn('score', 'real', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('evidence', 'jsonb', (c) => c.notNull())
    .addColumn('assignee_id', 'integer')
    .addColumn('snoozed_until', 'timestamptz')
    .addColumn('escalation_level', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('acknowledged_at', 'timestamptz')
    .addColumn('resolved_at', 'timestamptz')
    .addColumn('resolution', 'text')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // One alert per problem, enforced by the database: at most one unresolved alert
  // per device and kind. The ingest path upserts against this index.
  await sql`CREATE UNIQUE INDEX alerts_one_open_idx ON alerts (device_id, kind) WHERE status <> 'resolved'`.execute(db);
  await db.schema.createIndex('alerts_site_status_idx').on('alerts').columns(['site_id', 'status']).execute();

  // Every engine decision applied, by the reading that triggered it: a replay
  // (restart, late reading) proposes the same decisions again and they are skipped.
  await db.schema
    .createTable('alert_triggers')
    .addColumn('device_id', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('alert_id', 'bigint')
    .addPrimaryKeyConstraint('alert_triggers_pkey', ['device_id', 'kind', 'seq'])
    .execute();

  // Append-only history of every alert; `cursor` is the stream's resume point.
  // Writers take one advisory lock before inserting, so cursors commit in order.
  await db.schema
    .createTable('alert_events')
    .addColumn('cursor', 'bigserial', (c) => c.primaryKey())
    .addColumn('alert_id', 'bigint', (c) => c.notNull().references('alerts.id'))
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'integer')
    .addColumn('data', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();
  await db.schema.createIndex('alert_events_alert_idx').on('alert_events').column('alert_id').execute();
  await sql`
    CREATE FUNCTION alert_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'alert_events is append-only'; END $$`.execute(db);
  await sql`
    CREATE TRIGGER alert_events_no_change BEFORE UPDATE OR DELETE ON alert_events
    FOR EACH ROW EXECUTE FUNCTION alert_events_append_only()`.execute(db);

  // Heart-failure risk status: every change (append-only, keyed by the reading
  // that changed it, so a replay adds nothing), and the current one per device.
  await db.schema
    .createTable('risk_changes')
    .addColumn('device_id', 'integer', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status IN ('Low', 'Medium', 'High')`))
    .addColumn('previous', 'text', (c) => c.notNull())
    .addColumn('score', 'real', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('risk_changes_pkey', ['device_id', 'at', 'seq'])
    .execute();
  await db.schema
    .createTable('device_risk')
    .addColumn('device_id', 'integer', (c) => c.primaryKey())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('score', 'real', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
