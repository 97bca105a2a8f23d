import { sql } from 'kysely';
import type { Db } from './db.ts';
import type { RegistrationPolicy } from './schema.ts';

// Device registration: the sites' policy, serials held pending for an admin, and moves of a
// device between sites with their history.


/** NOTIFY channel: a device changed site; the payload is its serial (ingest caches drop it). */
export const DEVICE_SITE_CHANNEL = 'device_site_changed';

/**
 * Count readings of serials refused while unknown to the service (their site's policy is
 * `pending`): one row per serial and site, created on first sight.
 */
export async function holdPending(db: Db, siteId: number, gatewayId: number, counts: ReadonlyMap<string, number>): Promise<void> {
  if (counts.size === 0) return;
  const serials = [...counts.keys()].sort();
  const n = serials.map((s) => counts.get(s)!);
  await sql`
    INSERT INTO pending_devices (serial, site_id, first_gateway_id, readings)
    SELECT s, ${siteId}, ${gatewayId}, c FROM unnest(${serials}::text[], ${n}::int8[]) AS t(s, c)
    ON CONFLICT (serial, site_id) DO UPDATE
      SET last_seen_at = now(), readings = pending_devices.readings + excluded.readings`.execute(db);
}

export async function siteByCode(db: Db, code: string) {
  return db.selectFrom('sites').select(['id', 'code', 'registration_policy']).where('code', '=', code).executeTakeFirst();
}

export async function setRegistrationPolicy(db: Db, siteId: number, policy: RegistrationPolicy): Promise<void> {
  await db.updateTable('sites').set({ registration_policy: policy }).where('id', '=', siteId).execute();
}

/** Serials waiting for an admin (none that became a device meanwhile), oldest first. */
export async function listPending(db: Db, siteId: number | null) {
  const res = await sql<{ serial: string; site: string; first_seen_at: Date; last_seen_at: Date; readings: number; gateway_id: number | null }>`
    SELECT p.serial, s.code AS site, p.first_seen_at, p.last_seen_at, p.readings, p.first_gateway_id AS gateway_id
    FROM pending_devices p JOIN sites s ON s.id = p.site_id
    WHERE p.status = 'pending' ${siteId === null ? sql`` : sql`AND p.site_id = ${siteId}`}
      AND NOT EXISTS (SELECT 1 FROM devices d WHERE d.serial = p.serial)
    ORDER BY p.first_seen_at, p.id`.execute(db);
  return res.rows;
}

export interface PendingRow {
  id: number;
  site_id: number;
  code: string;
  first_gateway_id: number | null;
  status: 'pending' | 'approved' | 'rejected';
}

/** The serial's pending registrations (any status), locked for a decision. */
export async function pendingForSerial(db: Db, serial: string): Promise<PendingRow[]> {
  const res = await sql<PendingRow>`
    SELECT p.id, p.site_id, s.code, p.first_gateway_id, p.status
    FROM pending_devices p JOIN sites s ON s.id = p.site_id
    WHERE p.serial = ${serial} ORDER BY p.id FOR UPDATE OF p`.execute(db);
  return res.rows;
}

export async function decidePending(db: Db, id: number, status: 'approved' | 'rejected'): Promise<void> {
  await db.updateTable('pending_devices').set({ status, decided_at: sql<Date>`now()` }).where('id', '=', id).execute();
}

/** Register the serial to the site; undefined when a device of that serial exists already. */
export async function insertDevice(db: Db, serial: string, siteId: number, gatewayId: number | null): Promise<number | undefined> {
  const row = await db.insertInto('devices').values({ serial, site_id: siteId, first_gateway_id: gatewayId })
    .onConflict((oc) => oc.column('serial').doNothing()).returning('id').executeTakeFirst();
  return row?.id;
}

/**
 * Move the device (its alerts with it) to another site, keep the move in its history and
 * tell every service process to forget the serial's cached site, at commit.
 */
export async function moveDeviceSite(
  db: Db,
  move: { deviceId: number; serial: string; fromSiteId: number; toSiteId: number; byUserId: number | null; via: string },
): Promise<void> {
  await db.updateTable('devices').set({ site_id: move.toSiteId }).where('id', '=', move.deviceId).execute();
  await db.updateTable('alerts').set({ site_id: move.toSiteId }).where('device_id', '=', move.deviceId).execute();
  await db.insertInto('device_site_history').values({
    device_id: move.deviceId, from_site_id: move.fromSiteId, to_site_id: move.toSiteId, moved_by_user_id: move.byUserId, moved_via: move.via,
  }).execute();
  await sql`SELECT pg_notify(${DEVICE_SITE_CHANNEL}, ${move.serial})`.execute(db);
}

/** The device's moves, oldest first, with the sites' codes. */
export async function deviceSiteHistory(db: Db, deviceId: number) {
  const res = await sql<{ from: string; to: string; moved_at: Date; via: string }>`
    SELECT f.code AS from, t.code AS to, h.moved_at, h.moved_via AS via
    FROM device_site_history h JOIN sites f ON f.id = h.from_site_id JOIN sites t ON t.id = h.to_site_id
    WHERE h.device_id = ${deviceId} ORDER BY h.id`.execute(db);
  return res.rows;
}
