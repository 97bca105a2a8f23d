import { sql, type Kysely } from 'kysely';

// Forward-only. Never import application code here: a migration must keep
// meaning what it meant the day it ran.

const METRICS: ReadonlyArray<[number, string, string]> = [
  [1, 'heart_rate', '/min'], [2, 'night_heart_rate', '/min'], [3, 'activity', 'min/d'],
  [4, 'hrv_sdaam', 'ms'], [5, 'thoracic_impedance', 'Ohm'], [6, 'fluid_index', 'Ohm.d'],
  [7, 'respiratory_rate', '/min'], [8, 'af_burden', 'h/d'], [9, 'af_ventricular_rate', '/min'],
  [10, 'rv_pacing_pct', '%'], [11, 'crt_pacing_pct', '%'], [12, 'ra_lead_impedance', 'Ohm'],
  [13, 'rv_lead_impedance', 'Ohm'], [14, 'lv_lead_impedance', 'Ohm'], [15, 'shock_impedance', 'Ohm'],
  [16, 'ra_capture_threshold', 'V'], [17, 'rv_capture_threshold', 'V'], [18, 'lv_capture_threshold', 'V'],
  [19, 'p_wave_amplitude', 'mV'], [20, 'r_wave_amplitude', 'mV'], [21, 'battery_voltage', 'V'],
  [22, 'battery_longevity', 'mo'], [23, 'battery_status', '{status}'], [24, 'charge_time', 's'],
  [25, 'vt_episodes', '{episodes}'], [26, 'vf_episodes', '{episodes}'], [27, 'nsvt_episodes', '{episodes}'],
  [28, 'atp_delivered', '{therapies}'], [29, 'shocks_delivered', '{shocks}'], [30, 'short_vv_intervals', '{intervals}'],
];

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sites')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('code', 'text', (c) => c.notNull().unique().check(sql`code ~ '^[a-z0-9][a-z0-9_-]{0,31}$'`))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('gateways')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('site_id', 'integer', (c) => c.notNull().references('sites.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    // SHA-256 of the key: keys are 256 random bits, so a slow hash adds nothing.
    .addColumn('key_hash', 'bytea', (c) => c.notNull().unique())
    .addColumn('key_prefix', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('revoked_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('devices')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('serial', 'text', (c) => c.notNull().unique())
    .addColumn('site_id', 'integer', (c) => c.notNull().references('sites.id'))
    .addColumn('first_gateway_id', 'integer', (c) => c.references('gateways.id'))
    .addColumn('first_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('devices_site_idx').on('devices').column('site_id').execute();

  await db.schema
    .createTable('metrics')
    .addColumn('id', 'smallint', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('unit', 'text', (c) => c.notNull())
    .execute();
  await db
    .insertInto('metrics' as never)
    .values(METRICS.map(([id, name, unit]) => ({ id, name, unit })) as never)
    .execute();

  // The hot table: narrow rows, one unique key, no foreign keys. The ingest path
  // resolves devices and metrics before it writes, and per-row FK triggers would
  // roughly double the cost of every insert.
  await db.schema
    .createTable('readings')
    .addColumn('device_id', 'integer', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('metric', 'smallint', (c) => c.notNull())
    .addColumn('value', 'float8', (c) => c.notNull())
    .addColumn('gateway_id', 'integer', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('readings_pkey', ['device_id', 'seq'])
    .execute();

  await db.schema
    .createTable('quarantine')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('gateway_id', 'integer', (c) => c.references('gateways.id'))
    .addColumn('site_id', 'integer', (c) => c.references('sites.id'))
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('batch_id', 'text')
    .addColumn('idx', 'integer')
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('raw', 'jsonb', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('quarantine_received_idx').on('quarantine').column('received_at').execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
