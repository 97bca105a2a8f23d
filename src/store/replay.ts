import { sql } from 'kysely';
import type { Db } from './db.ts';

// SQL of the replay (src/replay/replay.ts): the devices selected, their stored alerts and
// their stored readings.

export interface ReplayDeviceRow { id: number; serial: string; site_id: number; code: string; patient_id: number | null }

/** The devices of these sites (all with none) enrolled to these patients (any with none), by id. */
export async function replayDevices(db: Db, siteCodes: readonly string[], patientIds: readonly number[]): Promise<ReplayDeviceRow[]> {
  const res = await sql<ReplayDeviceRow>`
    SELECT d.id, d.serial, d.site_id, s.code, e.patient_id
    FROM devices d JOIN sites s ON s.id = d.site_id LEFT JOIN enrolments e ON e.device_id = d.id
    WHERE ${siteCodes.length ? sql`s.code = ANY(${[...siteCodes]}::text[])` : sql`true`}
      AND ${patientIds.length ? sql`e.patient_id = ANY(${patientIds}::int4[])` : sql`true`}
    ORDER BY d.id`.execute(db);
  return res.rows;
}

/** The codes among these that name a site. */
export async function knownSiteCodes(db: Db, codes: readonly string[]): Promise<string[]> {
  const known = await sql<{ code: string }>`SELECT code FROM sites WHERE code = ANY(${[...codes]}::text[])`.execute(db);
  return known.rows.map((k) => k.code);
}

export interface StoredAlert { kind: string; priority: string; seq: number; at: Date; resolution: string | null; summary: string }

/** The device's alerts but connectivity_loss, with their trigger's seq and time. */
export async function storedAlerts(db: Db, deviceId: number): Promise<StoredAlert[]> {
  const res = await sql<StoredAlert>`
    SELECT kind, priority, (trigger->>'seq')::int8 AS seq, (trigger->>'at')::timestamptz AS at, resolution, summary
    FROM alerts WHERE device_id = ${deviceId} AND kind <> 'connectivity_loss'`.execute(db);
  return res.rows.map((r) => ({ ...r, seq: Number(r.seq) }));
}

/**
 * The device's readings before `to` (all with null), in event order. Times come as epoch ms
 * and seqs as numbers computed by PostgreSQL: parsing a timestamptz's text into a Date for
 * every row cost as much as the engine (bench:replay).
 */
export async function replayReadings(
  db: Db, deviceId: number, to: number | null,
): Promise<Array<{ seq: number; at: number; metric: number; value: number; received: number }>> {
  const rows = await sql<{ seq: number; at: number; metric: number; value: number; received: number }>`
    SELECT seq::float8 AS seq, floor(extract(epoch FROM at) * 1000)::float8 AS at, metric, value,
           floor(extract(epoch FROM received_at) * 1000)::float8 AS received
    FROM readings WHERE device_id = ${deviceId}
    ${to != null ? sql`AND at < ${new Date(to)}` : sql``} ORDER BY at, seq`.execute(db);
  return rows.rows;
}
