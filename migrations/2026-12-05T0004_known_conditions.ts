import { sql, type Kysely } from 'kysely';

// Forward-only. Never import application code here: a migration must keep
// meaning what it meant the day it ran.

export async function up(db: Kysely<unknown>): Promise<void> {
  // A condition clinicians know of (permanent AF, a chronically low CRT percentage, a lead
  // they are watching): while it holds, alerts of its kind for the patient's devices are
  // counted in a weekly digest instead of opening. The reason is free text, sealed like a
  // comment (src/crypto). VT/VF, shocks and heart-failure alerts cannot be folded (a check).
  await db.schema
    .createTable('known_conditions')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('patient_id', 'integer', (c) => c.notNull().references('patients.id'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind IN ('lead_integrity', 'capture_threshold', 'battery', 'af_burden', 'af_fast_ventricular_rate', 'crt_pacing_loss', 'connectivity_loss')`))
    .addColumn('reason_sealed', 'text', (c) => c.notNull())
    .addColumn('starts_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_by', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('ended_at', 'timestamptz')
    .addColumn('ended_by', 'integer', (c) => c.references('users.id'))
    .addCheckConstraint('known_conditions_period', sql`expires_at > starts_at`)
    .execute();
  await db.schema.createIndex('known_conditions_patient_idx').on('known_conditions').columns(['patient_id', 'kind']).execute();

  // What a condition folded: one row per condition and ISO week (Monday, UTC, of the
  // readings' event time), and the triggers counted, so a replay counts nothing twice.
  await db.schema
    .createTable('condition_digests')
    .addColumn('condition_id', 'integer', (c) => c.notNull().references('known_conditions.id'))
    .addColumn('week', 'date', (c) => c.notNull())
    .addColumn('occurrences', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('first_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_at', 'timestamptz', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('priority', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('condition_digests_pkey', ['condition_id', 'week'])
    .execute();
  await db.schema
    .createTable('condition_digest_triggers')
    .addColumn('condition_id', 'integer', (c) => c.notNull())
    .addColumn('device_id', 'integer', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('condition_digest_triggers_pkey', ['condition_id', 'device_id', 'seq'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
