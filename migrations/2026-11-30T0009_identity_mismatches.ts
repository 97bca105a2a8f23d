import { sql, type Kysely } from 'kysely';

// Forward-only. Never import application code here: a migration must keep
// meaning what it meant the day it ran.

export async function up(db: Kysely<unknown>): Promise<void> {
  // A device clinic message (HL7 IDCO) that names a patient whose birth date is not that of
  // the patient the device is enrolled to: the enrolment may be wrong (a mistyped serial),
  // and every reading and alert of the device would then show as the wrong person's. The
  // readings are stored all the same; this keeps the fact for the patient page, without the
  // birth date the message gave.
  await sql`
    CREATE TABLE identity_mismatches (
      device_id integer NOT NULL REFERENCES devices (id),
      patient_id integer NOT NULL REFERENCES patients (id),
      source text NOT NULL CHECK (source IN ('idco')),
      first_seen_at timestamptz NOT NULL DEFAULT now(),
      last_seen_at timestamptz NOT NULL DEFAULT now(),
      messages integer NOT NULL DEFAULT 1,
      PRIMARY KEY (device_id, patient_id, source)
    )`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
