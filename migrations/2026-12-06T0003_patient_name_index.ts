import { sql, type Kysely } from 'kysely';

// Forward-only. Never import application code here: a migration must keep
// meaning what it meant the day it ran.

export async function up(db: Kysely<unknown>): Promise<void> {
  // Patients found by name although names are sealed: one keyed blind-index token (HMAC,
  // hex) per normalised word of the given and family names. The key lives in the service,
  // so this migration cannot fill the table: the service indexes patients whose
  // `name_index_version` is behind its own at start (or `npm run admin -- patients reindex`).
  await sql`
    CREATE TABLE patient_name_tokens (
      token text NOT NULL CHECK (token ~ '^[0-9a-f]{64}$'),
      patient_id integer NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
      PRIMARY KEY (token, patient_id)
    )`.execute(db);
  await sql`CREATE INDEX patient_name_tokens_patient_idx ON patient_name_tokens (patient_id)`.execute(db);
  // NULL: not indexed yet (registered before this table, or sealed from plain at start).
  await sql`ALTER TABLE patients ADD COLUMN name_index_version smallint`.execute(db);
  // Device serials searched by their start, case folded.
  await sql`CREATE INDEX devices_serial_prefix_idx ON devices (lower(serial) text_pattern_ops)`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
