import { sql, type Kysely } from 'kysely';

// Forward-only. Never import application code here: a migration must keep
// meaning what it meant the day it ran.

export async function up(db: Kysely<unknown>): Promise<void> {
  // A device's past silences, in event time: a gap between two consecutive readings at least
  // as long as the device's silence limit, found when the later reading is taken in (history
  // uploaded late, or a live silence that has ended). One row per reading that ended a gap, so
  // a replay proposing it again changes nothing. `limit_hours` is the limit it was held to.
  await sql`
    CREATE TABLE connectivity_episodes (
      device_id integer NOT NULL REFERENCES devices (id),
      from_at timestamptz NOT NULL,
      from_seq bigint NOT NULL,
      to_at timestamptz NOT NULL,
      to_seq bigint NOT NULL,
      limit_hours real NOT NULL,
      recorded_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (device_id, to_seq),
      CHECK (to_at > from_at)
    )`.execute(db);
  await sql`CREATE INDEX connectivity_episodes_device_idx ON connectivity_episodes (device_id, to_at)`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
