import { sql, type Kysely } from 'kysely';

// Forward-only. Never import application code here: a migration must keep
// meaning what it meant the day it ran.

export async function up(db: Kysely<unknown>): Promise<void> {
  // Every patient a device has been enrolled to, and when. `enrolments` says who the device
  // belongs to now; this keeps who it belonged to before, so that enrolling it to a second
  // person (which would move its readings and alerts to them) can be recognised and refused
  // unless declared a correction of a mistaken enrolment.
  await sql`
    CREATE TABLE enrolment_history (
      id bigserial PRIMARY KEY,
      device_id integer NOT NULL REFERENCES devices (id),
      patient_id integer NOT NULL REFERENCES patients (id),
      started_at timestamptz NOT NULL DEFAULT now(),
      started_by integer,
      ended_at timestamptz,
      ended_by integer,
      correction boolean NOT NULL DEFAULT false,
      CHECK (ended_at IS NULL OR ended_at >= started_at)
    )`.execute(db);
  // At most one open period per device: the current enrolment.
  await sql`CREATE UNIQUE INDEX enrolment_history_open_idx ON enrolment_history (device_id) WHERE ended_at IS NULL`.execute(db);
  await sql`CREATE INDEX enrolment_history_device_idx ON enrolment_history (device_id, patient_id)`.execute(db);
  await sql`
    INSERT INTO enrolment_history (device_id, patient_id, started_at, started_by)
    SELECT device_id, patient_id, enrolled_at, enrolled_by FROM enrolments`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
