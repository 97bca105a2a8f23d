import { sql, type Kysely } from 'kysely';

// Forward-only. Never import application code here: a migration must keep
// meaning what it meant the day it ran.

export async function up(db: Kysely<unknown>): Promise<void> {
  // A device's life as the clinic records it: implant, generator change (this device replaces
  // `previous_device_id`), lead revision, reprogramming and explant, at their event time. The
  // engine takes them in as inputs (src/engine/lifecycle.ts). No free text: nothing to seal.
  await sql`
    CREATE TABLE device_events (
      id bigserial PRIMARY KEY,
      device_id integer NOT NULL REFERENCES devices (id),
      kind text NOT NULL CHECK (kind IN ('implant', 'generator_change', 'lead_revision', 'reprogramming', 'explant')),
      at timestamptz NOT NULL,
      leads text[] NOT NULL DEFAULT '{}' CHECK (leads <@ ARRAY['ra', 'rv', 'lv', 'shock']),
      metrics text[] NOT NULL DEFAULT '{}',
      previous_device_id integer REFERENCES devices (id),
      source text NOT NULL CHECK (source IN ('clinician', 'admin', 'idco', 'generator_change')),
      recorded_by integer REFERENCES users (id),
      recorded_at timestamptz NOT NULL DEFAULT now(),
      CHECK ((kind = 'generator_change') = (previous_device_id IS NOT NULL)),
      CHECK (previous_device_id IS DISTINCT FROM device_id)
    )`.execute(db);
  await sql`CREATE INDEX device_events_device_idx ON device_events (device_id, at, id)`.execute(db);
  // A device is implanted once, explanted once, and replaced by one successor.
  await sql`CREATE UNIQUE INDEX device_events_implant_idx ON device_events (device_id) WHERE kind = 'implant'`.execute(db);
  await sql`CREATE UNIQUE INDEX device_events_explant_idx ON device_events (device_id) WHERE kind = 'explant'`.execute(db);
  await sql`CREATE UNIQUE INDEX device_events_successor_idx ON device_events (previous_device_id) WHERE kind = 'generator_change'`.execute(db);
  await sql`CREATE UNIQUE INDEX device_events_replaces_idx ON device_events (device_id) WHERE kind = 'generator_change'`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
