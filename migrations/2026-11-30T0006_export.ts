import { sql, type Kysely } from 'kysely';

// Forward-only. Never import application code here: a migration must keep
// meaning what it meant the day it ran.

export async function up(db: Kysely<unknown>): Promise<void> {
  // The timeline export reads, per device, the readings that are events: positive
  // episode counts (vt_episodes, vf_episodes, atp_delivered, shocks_delivered) and
  // battery statuses. Without these it reads a device's every daily reading twice, or
  // scans the whole table for battery statuses. Partial, so ingest pays only for the
  // few readings that are events.
  await sql`
    CREATE INDEX readings_episode_idx ON readings (device_id, at, seq) INCLUDE (metric, value)
    WHERE metric IN (25, 26, 28, 29) AND value > 0`.execute(db);
  await sql`
    CREATE INDEX readings_battery_idx ON readings (device_id, at, seq) INCLUDE (value)
    WHERE metric = 23`.execute(db);
  // A device's alerts, whatever their status (alerts_one_open_idx holds only open ones).
  await sql`CREATE INDEX alerts_device_idx ON alerts (device_id)`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
