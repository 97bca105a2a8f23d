import { sql, type Kysely } from 'kysely';

// Forward-only. Never import application code here: a migration must keep
// meaning what it meant the day it ran.

export async function up(db: Kysely<unknown>): Promise<void> {
  // How a site's gateways register a serial unknown to the whole service: `auto` registers it
  // to the site on its first reading (the behaviour so far), `pending` holds it for an admin.
  await sql`
    ALTER TABLE sites ADD COLUMN registration_policy text NOT NULL DEFAULT 'auto'
      CHECK (registration_policy IN ('auto', 'pending'))`.execute(db);

  // Serials a `pending` site's gateways sent before any site had them: one row per serial
  // and site, counting the readings refused (and quarantined) meanwhile. An admin approves
  // one (the device is registered to that site) or rejects it (its readings stay refused).
  await sql`
    CREATE TABLE pending_devices (
      id serial PRIMARY KEY,
      serial text NOT NULL CHECK (length(serial) BETWEEN 1 AND 64),
      site_id integer NOT NULL REFERENCES sites (id),
      first_gateway_id integer REFERENCES gateways (id),
      first_seen_at timestamptz NOT NULL DEFAULT now(),
      last_seen_at timestamptz NOT NULL DEFAULT now(),
      readings bigint NOT NULL DEFAULT 0,
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
      decided_at timestamptz,
      UNIQUE (serial, site_id)
    )`.execute(db);

  // Every move of a device between sites, kept for good.
  await sql`
    CREATE TABLE device_site_history (
      id bigserial PRIMARY KEY,
      device_id integer NOT NULL REFERENCES devices (id),
      from_site_id integer NOT NULL REFERENCES sites (id),
      to_site_id integer NOT NULL REFERENCES sites (id),
      moved_at timestamptz NOT NULL DEFAULT now(),
      moved_by_user_id integer REFERENCES users (id),
      moved_via text NOT NULL CHECK (length(moved_via) BETWEEN 1 AND 64)
    )`.execute(db);
  await sql`CREATE INDEX device_site_history_device ON device_site_history (device_id, id)`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
