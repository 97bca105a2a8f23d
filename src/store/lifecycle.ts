import { sql } from 'kysely';
import type { Db } from './db.ts';
import type { Lead, LifecycleEvent, LifecycleKind } from '../engine/index.ts';
import { recordLate, ts, type Executor } from './engine-effects.ts';

// Device lifecycle events (implant, generator change, lead revision, reprogramming, explant):
// recording one, and reading them back for the engine and the patient page. Recording an event
// puts the device up for a rebuild from a snapshot before it (engine_pending, as a late reading
// does), so the engine's state is the same whenever the clinic records it, and whichever
// process records it.

export interface NewLifecycleEvent {
  readonly deviceId: number;
  readonly kind: LifecycleKind;
  readonly at: number;
  readonly leads?: readonly Lead[];
  readonly metrics?: readonly string[];
  /** generator_change: the device it replaces (whose monitoring ends at `at`). */
  readonly previousDeviceId?: number;
  readonly source: 'clinician' | 'admin' | 'idco';
  readonly by: number | null;
}

export interface StoredLifecycleEvent {
  readonly id: number;
  readonly deviceId: number;
  readonly serial: string;
  readonly kind: LifecycleKind;
  readonly at: Date;
  readonly leads: Lead[];
  readonly metrics: string[];
  readonly previousDeviceId: number | null;
  readonly previousSerial: string | null;
  readonly source: string;
  readonly recordedBy: string | null;
  readonly recordedAt: Date;
}

/** Position before every reading of an event time: a replay starts before the event. */
const BEFORE = -1;

/**
 * Record an event (and, for a generator change, the old device's explant at the same time) in
 * one transaction, and mark each device it changes for a replay. A generator change replays the
 * new device from its first reading (its state starts from the old one's); the others from the
 * event. Answers the ids of the devices to rebuild, and the event's id. A unique index refuses
 * a second implant, explant or successor (`conflict`).
 */
export async function recordLifecycle(db: Db, e: NewLifecycleEvent): Promise<{ id: number; devices: number[] }> {
  return db.transaction().execute(async (trx) => {
    const id = await insertEvent(trx, e, e.source);
    const devices = [e.deviceId];
    if (e.kind === 'generator_change' && e.previousDeviceId !== undefined) {
      const explanted = await sql<{ id: number }>`SELECT id FROM device_events WHERE device_id = ${e.previousDeviceId} AND kind = 'explant'`.execute(trx);
      if (explanted.rows.length === 0) {
        await insertEvent(trx, { deviceId: e.previousDeviceId, kind: 'explant', at: e.at, by: e.by, source: e.source }, 'generator_change');
      }
      await replayFrom(trx, e.previousDeviceId, e.at, e.at);
      devices.push(e.previousDeviceId);
      // The new device's state starts from the old one's: nothing of it saved so far holds.
      await sql`DELETE FROM engine_snapshots WHERE device_id = ${e.deviceId}`.execute(trx);
      await replayFrom(trx, e.deviceId, null, e.at);
    } else {
      await replayFrom(trx, e.deviceId, e.at, e.at);
    }
    return { id, devices };
  });
}

/**
 * Delete an event of one of the patient's devices (a record made in error: a wrong implant date
 * from a message, a generator change to the wrong serial), with the explant a generator change
 * recorded for the old device, and mark the devices it changed for a rebuild, as recording it
 * did. Alerts already raised stay. Answers the devices to rebuild, or null when the patient has
 * no such event.
 */
export async function deleteLifecycle(db: Db, patientId: number, eventId: number): Promise<number[] | null> {
  return db.transaction().execute(async (trx) => {
    const found = await sql<{ device_id: number; kind: LifecycleKind; at_ms: number; previous_device_id: number | null }>`
      SELECT x.device_id, x.kind, extract(epoch FROM x.at) * 1000 AS at_ms, x.previous_device_id FROM device_events x
      WHERE x.id = ${eventId} AND x.device_id IN (SELECT device_id FROM enrolment_history WHERE patient_id = ${patientId})
      FOR UPDATE`.execute(trx);
    const e = found.rows[0];
    if (!e) return null;
    const at = Number(e.at_ms);
    await sql`DELETE FROM device_events WHERE id = ${eventId}`.execute(trx);
    const devices = [e.device_id];
    if (e.kind === 'generator_change' && e.previous_device_id !== null) {
      await sql`DELETE FROM device_events WHERE device_id = ${e.previous_device_id} AND kind = 'explant' AND source = 'generator_change'`.execute(trx);
      await replayFrom(trx, e.previous_device_id, at, at);
      devices.push(e.previous_device_id);
      await sql`DELETE FROM engine_snapshots WHERE device_id = ${e.device_id}`.execute(trx);
      await replayFrom(trx, e.device_id, null, at);
    } else {
      await replayFrom(trx, e.device_id, at, at);
    }
    return devices;
  });
}

async function insertEvent(trx: Executor, e: NewLifecycleEvent, source: string): Promise<number> {
  const res = await sql<{ id: string }>`
    INSERT INTO device_events (device_id, kind, at, leads, metrics, previous_device_id, source, recorded_by)
    VALUES (${e.deviceId}, ${e.kind}, ${ts(e.at)}, ${[...(e.leads ?? [])]}::text[], ${[...(e.metrics ?? [])]}::text[],
            ${e.previousDeviceId ?? null}, ${source}, ${e.by})
    RETURNING id`.execute(trx);
  return Number(res.rows[0]!.id);
}

/**
 * Put the device up for a rebuild from before `at` (from its first reading when null and it
 * has one): snapshots from then on lacked the event. Marked even when no reading follows the
 * event, so that a service holding the device's state in memory (another process: the admin
 * CLI records events too) reloads its events on its next recovery pass.
 */
async function replayFrom(trx: Executor, deviceId: number, at: number | null, fallback: number): Promise<void> {
  let from = at ?? fallback;
  if (at === null) {
    const first = await sql<{ at: Date }>`SELECT at FROM readings WHERE device_id = ${deviceId} ORDER BY at, seq LIMIT 1`.execute(trx);
    const firstAt = first.rows[0]?.at.getTime();
    if (firstAt !== undefined && firstAt < from) from = firstAt;
  }
  await sql`DELETE FROM engine_snapshots WHERE device_id = ${deviceId} AND at >= ${ts(from)}`.execute(trx);
  await recordLate(trx, [{ deviceId, at: from, seq: BEFORE }]);
}

/** What the engine needs of each device: its events in event order, and the device it replaced. */
export interface DeviceLifecycle {
  readonly events: LifecycleEvent[];
  /** generator_change: the device replaced and when. */
  readonly replaces: { readonly deviceId: number; readonly at: number } | null;
}

export const NO_LIFECYCLE: DeviceLifecycle = Object.freeze({ events: [], replaces: null });

export async function lifecycleOf(db: Executor, ids: readonly number[]): Promise<Map<number, DeviceLifecycle>> {
  const out = new Map<number, DeviceLifecycle>();
  if (ids.length === 0) return out;
  const res = await sql<{ id: string; device_id: number; kind: LifecycleKind; at_ms: number; leads: Lead[]; metrics: string[]; previous_device_id: number | null }>`
    SELECT id, device_id, kind, extract(epoch FROM at) * 1000 AS at_ms, leads, metrics, previous_device_id
    FROM device_events WHERE device_id = ANY(${ids}::int4[]) ORDER BY device_id, at, id`.execute(db);
  for (const r of res.rows) {
    let l = out.get(r.device_id);
    if (!l) out.set(r.device_id, (l = { events: [], replaces: null }));
    const at = Number(r.at_ms);
    l.events.push({
      id: Number(r.id), kind: r.kind, at,
      ...(r.leads.length > 0 ? { leads: r.leads } : {}),
      ...(r.metrics.length > 0 ? { metrics: r.metrics } : {}),
    });
    if (r.kind === 'generator_change' && r.previous_device_id !== null) (l as { replaces: DeviceLifecycle['replaces'] }).replaces = { deviceId: r.previous_device_id, at };
  }
  return out;
}

/** Every event of the patient's devices, newest first, with serials and who recorded it. */
export async function patientLifecycle(db: Executor, patientId: number): Promise<StoredLifecycleEvent[]> {
  const res = await sql<{
    id: string; device_id: number; serial: string; kind: LifecycleKind; at: Date; leads: Lead[]; metrics: string[];
    previous_device_id: number | null; previous_serial: string | null; source: string; recorded_by: string | null; recorded_at: Date;
  }>`
    SELECT x.id, x.device_id, d.serial, x.kind, x.at, x.leads, x.metrics, x.previous_device_id, p.serial AS previous_serial,
           x.source, u.email AS recorded_by, x.recorded_at
    FROM device_events x
    JOIN devices d ON d.id = x.device_id
    LEFT JOIN devices p ON p.id = x.previous_device_id
    LEFT JOIN users u ON u.id = x.recorded_by
    WHERE x.device_id IN (SELECT device_id FROM enrolment_history WHERE patient_id = ${patientId})
    ORDER BY x.at DESC, x.id DESC`.execute(db);
  return res.rows.map((r) => ({
    id: Number(r.id), deviceId: r.device_id, serial: r.serial, kind: r.kind, at: r.at, leads: r.leads, metrics: r.metrics,
    previousDeviceId: r.previous_device_id, previousSerial: r.previous_serial, source: r.source, recordedBy: r.recorded_by, recordedAt: r.recorded_at,
  }));
}

/** The patient's device (ever enrolled to her) of this serial, with its current type, or null. */
export async function patientDevice(db: Executor, patientId: number, serial: string): Promise<{ id: number; deviceType: string } | null> {
  const res = await sql<{ id: number; device_type: string | null }>`
    SELECT d.id, e.device_type FROM devices d LEFT JOIN enrolments e ON e.device_id = d.id AND e.patient_id = ${patientId}
    WHERE d.serial = ${serial} AND EXISTS (SELECT 1 FROM enrolment_history h WHERE h.device_id = d.id AND h.patient_id = ${patientId})`.execute(db);
  const r = res.rows[0];
  return r ? { id: r.id, deviceType: r.device_type ?? 'unknown' } : null;
}
