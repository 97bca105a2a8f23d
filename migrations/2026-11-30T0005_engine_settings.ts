import { sql, type Kysely } from 'kysely';

// Forward-only. Never import application code here: a migration must keep
// meaning what it meant the day it ran.

export async function up(db: Kysely<unknown>): Promise<void> {
  // Engine settings overridden for a site, or for one patient (over the site's): partial
  // engine configurations, merged over the defaults when a device is scored.
  await db.schema
    .createTable('engine_settings')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('site_id', 'integer', (c) => c.references('sites.id'))
    .addColumn('patient_id', 'integer', (c) => c.references('patients.id'))
    .addColumn('settings', 'jsonb', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_by', 'integer', (c) => c.references('users.id'))
    .addCheckConstraint('engine_settings_one_scope', sql`(site_id IS NULL) <> (patient_id IS NULL)`)
    .execute();
  await sql`CREATE UNIQUE INDEX engine_settings_site_idx ON engine_settings (site_id) WHERE site_id IS NOT NULL`.execute(db);
  await sql`CREATE UNIQUE INDEX engine_settings_patient_idx ON engine_settings (patient_id) WHERE patient_id IS NOT NULL`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
