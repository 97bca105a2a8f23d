import { sql, type Kysely } from 'kysely';

// Forward-only. Never import application code here: a migration must keep
// meaning what it meant the day it ran.

export async function up(db: Kysely<unknown>): Promise<void> {
  // Data keys, each stored wrapped under a master key that only the service's configuration
  // holds (envelope encryption). `patient`: one per patient, sealing that patient's
  // identifiers; `general`: free text such as alert comments; `index`: the key of the
  // blind indexes (HMAC), never used to encrypt. `master_key_id` says which master key
  // wraps it now; `keys rotate` re-wraps rows under the current one.
  await db.schema
    .createTable('data_keys')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('purpose', 'text', (c) => c.notNull().check(sql`purpose IN ('patient', 'general', 'index')`))
    .addColumn('master_key_id', 'text', (c) => c.notNull().check(sql`length(master_key_id) BETWEEN 1 AND 32`))
    .addColumn('wrapped', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('rewrapped_at', 'timestamptz')
    .addColumn('retired_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('data_keys_master_idx').on('data_keys').column('master_key_id').execute();
  // At most one active general key and one index key.
  await sql`CREATE UNIQUE INDEX data_keys_one_active ON data_keys (purpose) WHERE purpose <> 'patient' AND retired_at IS NULL`.execute(db);

  // Identifiers move to sealed columns (`v1.<data key id>.<ciphertext>`); the plain ones
  // are emptied by the service at start (src/crypto/seal.ts) and stay only as NULLs until a
  // later migration drops them. The NHS number is found through its blind index.
  await sql`
    ALTER TABLE patients
      ADD COLUMN data_key_id integer REFERENCES data_keys(id),
      ADD COLUMN family_name_sealed text,
      ADD COLUMN given_name_sealed text,
      ADD COLUMN nhs_number_sealed text,
      ADD COLUMN nhs_number_index text UNIQUE,
      ADD COLUMN date_of_birth_sealed text,
      ALTER COLUMN family_name DROP NOT NULL,
      ALTER COLUMN given_name DROP NOT NULL,
      ALTER COLUMN date_of_birth DROP NOT NULL,
      ADD CONSTRAINT patients_identity_present CHECK (
        (family_name_sealed IS NOT NULL AND given_name_sealed IS NOT NULL AND date_of_birth_sealed IS NOT NULL AND data_key_id IS NOT NULL)
        OR (family_name IS NOT NULL AND given_name IS NOT NULL AND date_of_birth IS NOT NULL)),
      ADD CONSTRAINT patients_nhs_sealed_with_index CHECK ((nhs_number_sealed IS NULL) = (nhs_number_index IS NULL))`.execute(db);

  // The age at enrolment, in whole years, kept with the enrolment so the export never needs
  // a date of birth (computed by the service when it enrols, from the sealed date).
  await sql`ALTER TABLE enrolments ADD COLUMN age_at_enrolment smallint CHECK (age_at_enrolment BETWEEN 0 AND 150)`.execute(db);
  await sql`
    UPDATE enrolments e SET age_at_enrolment = date_part('year', age(e.enrolled_at::date, p.date_of_birth))::int
    FROM patients p WHERE p.id = e.patient_id AND p.date_of_birth IS NOT NULL`.execute(db);

  // alert_events stays append-only, with one exception: sealing a comment written before
  // encryption (or re-sealing one under a new key), when the writer says so for its
  // transaction, changing nothing else of the event.
  await sql`
    CREATE OR REPLACE FUNCTION alert_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE' AND current_setting('cardiotel.reseal_comments', true) = 'on'
         AND NEW.cursor = OLD.cursor AND NEW.alert_id = OLD.alert_id AND NEW.at = OLD.at
         AND NEW.type = OLD.type AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id
         AND (NEW.data - 'commentSealed') = (OLD.data - 'comment' - 'commentSealed')
         AND NEW.data ? 'commentSealed' AND NOT NEW.data ? 'comment' THEN
        RETURN NEW;
      END IF;
      RAISE EXCEPTION 'alert_events is append-only';
    END $$`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
