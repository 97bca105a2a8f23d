import { sql, type Kysely } from 'kysely';

// Forward-only. Never import application code here: a migration must keep
// meaning what it meant the day it ran.

export async function up(db: Kysely<unknown>): Promise<void> {
  // Each running instance of the service. A row is the instance's right to write what its
  // engine states computed: its writes lock the row (FOR KEY SHARE) and fail without it, and
  // another instance deletes it (waiting for those writes) only once the instance has
  // stopped renewing it or its LISTEN connection's backend is gone (a killed process).
  await sql`
    CREATE TABLE service_instances (
      id uuid PRIMARY KEY,
      started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      expires_at timestamptz NOT NULL,
      listen_pid integer,
      listen_started timestamptz
    )`.execute(db);

  // Which instance scores each device: exactly one at a time. `fence` grows with every
  // taking of the lease; writes of scored readings name the fence their state was loaded
  // under, so a state loaded before the lease moved can never be written. No foreign key:
  // an instance's row is deleted when it dies, and its leases are then free to take.
  await sql`
    CREATE TABLE device_leases (
      device_id integer PRIMARY KEY,
      instance_id uuid,
      fence bigint NOT NULL DEFAULT 1,
      wanted_by uuid,
      updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
    )`.execute(db);
  await sql`CREATE INDEX device_leases_instance_idx ON device_leases (instance_id) WHERE instance_id IS NOT NULL`.execute(db);
  // Each instance looks every few seconds for devices another asked it for: few, if any.
  await sql`CREATE INDEX device_leases_wanted_idx ON device_leases (instance_id) WHERE wanted_by IS NOT NULL`.execute(db);

  // The fence of a write: raises (SQLSTATE TL001) unless `owner` is alive and holds each
  // device's lease under the given fence. The instance row is locked FOR KEY SHARE, so an
  // instance declaring this one dead (a DELETE) waits until the write has committed, and a
  // write starting after that finds the row gone. Heartbeats (non-key UPDATEs) do not
  // conflict with the lock. Each statement in here takes its own snapshot, after the lock.
  await sql`
    CREATE FUNCTION device_leases_held(owner uuid, devices int4[], fences int8[]) RETURNS boolean
    LANGUAGE plpgsql VOLATILE AS $$
    DECLARE
      held integer;
    BEGIN
      PERFORM 1 FROM service_instances WHERE id = owner FOR KEY SHARE;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'this instance was declared dead; its device leases are void' USING ERRCODE = 'TL001';
      END IF;
      SELECT count(*) INTO held
      FROM device_leases l JOIN unnest(devices, fences) AS u(d, f) ON l.device_id = u.d AND l.fence = u.f
      WHERE l.instance_id = owner;
      IF held <> cardinality(devices) THEN
        RAISE EXCEPTION 'a device lease moved to another instance' USING ERRCODE = 'TL001';
      END IF;
      RETURN true;
    END $$`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
