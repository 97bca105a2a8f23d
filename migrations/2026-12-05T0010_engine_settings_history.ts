import { sql, type Kysely } from 'kysely';

// Forward-only. Never import application code here: a migration must keep
// meaning what it meant the day it ran.

export async function up(db: Kysely<unknown>): Promise<void> {
  // Every version of a site's or a patient's engine settings override, with the time it took
  // effect from: a replay of the past (late readings, `npm run replay`) scores each reading with
  // the settings in force at its event time. `settings` NULL: the override was removed.
  // `engine_settings` keeps the one in force now.
  await sql`
    CREATE TABLE engine_settings_history (
      id bigserial PRIMARY KEY,
      site_id integer REFERENCES sites (id),
      patient_id integer REFERENCES patients (id),
      settings jsonb,
      effective_from timestamptz NOT NULL DEFAULT now(),
      recorded_by integer REFERENCES users (id),
      CHECK ((site_id IS NULL) <> (patient_id IS NULL))
    )`.execute(db);
  await sql`CREATE INDEX engine_settings_history_scope_idx ON engine_settings_history (site_id, patient_id, effective_from, id)`.execute(db);
  // Overrides stored before versions were kept have no known start: they apply to all history,
  // as they did until now.
  await sql`
    INSERT INTO engine_settings_history (site_id, patient_id, settings, effective_from, recorded_by)
    SELECT site_id, patient_id, settings, '-infinity', updated_by FROM engine_settings`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
