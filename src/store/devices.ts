import { sql } from 'kysely';
import type { Db } from './db.ts';

// Devices: registration on first contact, the site of a device, and the newest reading of
// each (the connectivity check).

/**
 * Register the serials unknown so far to the gateway's site, if its registration policy is
 * `auto`; returns the id and site of every one that exists (none for a serial held pending).
 */
export async function registerDevices(db: Db, serials: readonly string[], siteId: number, gatewayId: number) {
  await sql`
    INSERT INTO devices (serial, site_id, first_gateway_id)
    SELECT s, ${siteId}, ${gatewayId} FROM unnest(${serials}::text[]) AS s
    WHERE (SELECT registration_policy FROM sites WHERE id = ${siteId}) = 'auto'
    ON CONFLICT (serial) DO NOTHING`.execute(db);
  return db
    .selectFrom('devices')
    .select(['id', 'serial', 'site_id'])
    .where('serial', 'in', serials)
    .execute();
}

/** Register a device to a site unless it exists already. */
export async function insertDeviceIfAbsent(db: Db, serial: string, siteId: number): Promise<void> {
  await db.insertInto('devices').values({ serial, site_id: siteId }).onConflict((oc) => oc.column('serial').doNothing()).execute();
}

export async function siteOfDevice(db: Db, deviceId: number): Promise<number | null> {
  const row = await db.selectFrom('devices').select('site_id').where('id', '=', deviceId).executeTakeFirst();
  return row?.site_id ?? null;
}

/** The device of this serial at this site, and its enrolled patient (no row: unknown or not enrolled). */
export async function enrolledDevice(db: Db, serial: string, siteId: number): Promise<{ device_id: number; patient_id: number } | undefined> {
  const res = await sql<{ device_id: number; patient_id: number }>`
    SELECT d.id AS device_id, e.patient_id
    FROM devices d JOIN enrolments e ON e.device_id = d.id
    WHERE d.serial = ${serial} AND d.site_id = ${siteId}`.execute(db);
  return res.rows[0];
}

/** The device and its site's code by serial (the admin's enrolment checks). */
export async function deviceSiteBySerial(db: Db, serial: string) {
  return db.selectFrom('devices').innerJoin('sites', 'sites.id', 'devices.site_id')
    .select(['devices.site_id', 'sites.code']).where('devices.serial', '=', serial).executeTakeFirst();
}

export interface LastReading {
  device_id: number;
  site_id: number;
  seq: number;
  at: Date;
  metric: number;
  value: number;
  /** The gateway that delivered it, and when (wall clock). */
  gateway_id: number;
  received_at: Date;
  /**
   * Its readings are still arriving: something of this device arrived within the grace period
   * (wall clock), or its newest reading arrived within the late grace period already history
   * (at least `lateMs` old: a backlog being delivered, which may hold newer readings yet).
   */
  recent: boolean;
}

/**
 * The newest gateway reading per device, with its gateway and arrival: one probe of
 * `reading_keys` each, then one of the month that holds it. An explanted device (or one replaced by a generator change) is no
 * longer monitored.
 */
export async function lastReadings(db: Db, graceMs: number, late?: { readonly lateMs: number; readonly graceMs: number }): Promise<LastReading[]> {
  const secs = (ms: number) => sql`make_interval(secs => ${ms / 1000}::float8)`;
  const stillLate = late ? sql`OR (r.received_at - r.at >= ${secs(late.lateMs)} AND r.received_at > now() - ${secs(late.graceMs)})` : sql``;
  const res = await sql<LastReading>`
    SELECT d.id AS device_id, d.site_id, r.seq, r.at, r.metric, r.value, r.gateway_id, r.received_at,
           (r.received_at > now() - ${secs(graceMs)} ${stillLate}) AS recent
    FROM devices d
    CROSS JOIN LATERAL (SELECT seq, at FROM reading_keys WHERE device_id = d.id ORDER BY seq DESC LIMIT 1) k
    -- LIMIT 1 keeps this a lookup per device (in the month of k.at); joined flat, the planner
    -- may hash-join every month of readings instead.
    CROSS JOIN LATERAL (
      SELECT seq, at, metric, value, gateway_id, received_at FROM readings
      WHERE device_id = d.id AND at = k.at AND seq = k.seq LIMIT 1
    ) r
    WHERE NOT EXISTS (SELECT 1 FROM device_events x WHERE x.device_id = d.id AND x.kind = 'explant')`.execute(db);
  return res.rows;
}
