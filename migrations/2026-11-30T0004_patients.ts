import { sql, type Kysely } from 'kysely';

// Forward-only. Never import application code here: a migration must keep
// meaning what it meant the day it ran.

export async function up(db: Kysely<unknown>): Promise<void> {
  // Identifiable data lives here and only here: readings, alerts and the export
  // refer to patients by internal id.
  await db.schema
    .createTable('patients')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('site_id', 'integer', (c) => c.notNull().references('sites.id'))
    .addColumn('family_name', 'text', (c) => c.notNull().check(sql`length(family_name) BETWEEN 1 AND 200`))
    .addColumn('given_name', 'text', (c) => c.notNull().check(sql`length(given_name) BETWEEN 1 AND 200`))
    .addColumn('nhs_number', 'text', (c) => c.unique().check(sql`nhs_number ~ '^[0-9]{10}$'`))
    .addColumn('date_of_birth', 'date', (c) => c.notNull())
    .addColumn('sex', 'text', (c) => c.notNull().defaultTo('unknown').check(sql`sex IN ('female', 'male', 'other', 'unknown')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('patients_site_idx').on('patients').column('site_id').execute();

  // Which patient a device belongs to now (a device has at most one patient).
  await db.schema
    .createTable('enrolments')
    .addColumn('device_id', 'integer', (c) => c.primaryKey().references('devices.id'))
    .addColumn('patient_id', 'integer', (c) => c.notNull().references('patients.id'))
    // Pacemaker, ICD, CRT-D...: recorded at enrolment (the readings do not say).
    .addColumn('device_type', 'text', (c) => c.notNull().defaultTo('unknown').check(sql`device_type IN ('pacemaker', 'icd', 'crt_d', 'crt_p', 'loop_recorder', 'unknown')`))
    .addColumn('enrolled_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('enrolled_by', 'integer')
    .execute();
  await db.schema.createIndex('enrolments_patient_idx').on('enrolments').column('patient_id').execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
