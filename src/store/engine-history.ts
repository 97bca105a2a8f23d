import { sql } from 'kysely';
import type { Db } from './db.ts';
import { STATE_VERSION } from '../engine/index.ts';
import { applyEffects, ts, type AlertEventRow, type EngineEffects, type Executor } from './engine-effects.ts';
import { lifecycleOf, NO_LIFECYCLE, type DeviceLifecycle } from './lifecycle.ts';
import { assertFences, fenceCondition, type Fences } from './leases.ts';
import { numericArray } from './readings.ts';

// A device's history for rebuilding its engine state: late readings pending a replay, the
// snapshots of its state, the readings stored after one, and the replay's own transaction.

export interface Position {
  readonly at: number;
  readonly seq: number;
}

export async function pendingOf(db: Executor, deviceId: number): Promise<Position | null> {
  const res = await sql<{ at: Date; seq: number }>`SELECT at, seq FROM engine_pending WHERE device_id = ${deviceId}`.execute(db);
  const r = res.rows[0];
  return r ? { at: r.at.getTime(), seq: r.seq } : null;
}

export async function pendingDevices(db: Executor): Promise<number[]> {
  const res = await sql<{ device_id: number }>`SELECT device_id FROM engine_pending ORDER BY device_id`.execute(db);
  return res.rows.map((r) => r.device_id);
}

export interface Snapshot extends Position {
  readonly state: unknown;
}

/**
 * Snapshots of another engine state version (saved before an upgrade) are never restored: the
 * device is rebuilt from its readings instead, as if it had none.
 */
const usable = sql`(state->'engine'->>'version') = ${String(STATE_VERSION)}`;

/** The newest usable snapshot strictly before `bound` (or the newest of all). */
export async function snapshotBefore(db: Executor, deviceId: number, bound: Position | null): Promise<Snapshot | null> {
  const res = await sql<{ at: Date; seq: number; state: unknown }>`
    SELECT at, seq, state FROM engine_snapshots
    WHERE device_id = ${deviceId} AND ${usable} ${bound ? sql`AND (at, seq) < (${ts(bound.at)}, ${bound.seq}::int8)` : sql``}
    ORDER BY at DESC, seq DESC LIMIT 1`.execute(db);
  const r = res.rows[0];
  return r ? { at: r.at.getTime(), seq: r.seq, state: r.state } : null;
}

/**
 * The engine state's `cadence` (connectivity_loss's learnt intervals) in each device's newest
 * usable snapshot; a device without one is absent, and the value is the JSON as stored.
 */
export async function snapshotCadences(db: Executor, ids: readonly number[]): Promise<Map<number, unknown>> {
  if (ids.length === 0) return new Map();
  const res = await sql<{ device_id: number; cadence: unknown }>`
    SELECT DISTINCT ON (device_id) device_id, state->'engine'->'cadence' AS cadence FROM engine_snapshots
    WHERE device_id = ANY(${ids}::int4[]) AND ${usable} ORDER BY device_id, at DESC, seq DESC`.execute(db);
  return new Map(res.rows.map((r) => [r.device_id, r.cadence]));
}

export interface StoredReading {
  readonly seq: number;
  readonly at: number;
  readonly metric: number;
  readonly value: number;
  readonly score: number | null;
  /** When the service received it (epoch ms): which settings version scored it. */
  readonly received: number;
}

/** A device's stored readings after `from` (all when null), in event-time order. */
export async function readingsAfter(db: Executor, deviceId: number, from: Position | null): Promise<StoredReading[]> {
  const res = await sql<{ seq: number; at: Date; metric: number; value: number; score: number | null; received: number }>`
    SELECT seq, at, metric, value, score, extract(epoch FROM received_at)::float8 * 1000 AS received FROM readings
    WHERE device_id = ${deviceId} ${from ? sql`AND at >= ${ts(from.at)} AND (at, seq) > (${ts(from.at)}, ${from.seq}::int8)` : sql``}
    ORDER BY at, seq`.execute(db);
  return res.rows.map((r) => ({ seq: r.seq, at: r.at.getTime(), metric: r.metric, value: r.value, score: r.score, received: r.received }));
}

export interface ScoreUpdate {
  readonly seq: number;
  readonly score: number;
}

/** The result of a replay, in one transaction: scores of late readings, effects, pending cleared. */
export async function applyReplay(
  db: Db,
  deviceId: number,
  scores: readonly ScoreUpdate[],
  effects: EngineEffects,
  pending: Position | null,
  /** The device's lease the replayed state was loaded under (refused if it moved). */
  fences: Fences | null = null,
): Promise<AlertEventRow[]> {
  return db.transaction().execute(async (trx) => {
    if (fences) await assertFences(trx, fences);
    // A late reading may fall inside a past silence: the silences ended at or after it are
    // proposed again by this replay (it starts before it), as the readings now stand.
    if (pending) {
      await sql`DELETE FROM connectivity_episodes WHERE device_id = ${deviceId}
                AND (to_at, to_seq) >= (${ts(pending.at)}, ${pending.seq}::int8)`.execute(trx);
    }
    if (scores.length > 0) {
      await sql`
        UPDATE readings r SET score = u.score
        FROM unnest(${scores.map((s) => s.seq)}::int8[], ${scores.map((s) => s.score)}::float4[]) AS u(seq, score)
        JOIN reading_keys k ON k.device_id = ${deviceId} AND k.seq = u.seq
        WHERE r.device_id = ${deviceId} AND r.at = k.at AND r.seq = k.seq`.execute(trx);
    }
    const events = await applyEffects(trx, effects);
    // Cleared only if no earlier late reading arrived meanwhile (that one needs its own replay).
    if (pending) {
      // Snapshots at or after the late reading were taken of a state that lacked it: a later
      // replay starting from one would lose it for good.
      await sql`DELETE FROM engine_snapshots WHERE device_id = ${deviceId}
                AND (at, seq) >= (${ts(pending.at)}, ${pending.seq}::int8)`.execute(trx);
      await sql`DELETE FROM engine_pending WHERE device_id = ${deviceId}
                AND at = ${ts(pending.at)} AND seq = ${pending.seq}::int8`.execute(trx);
    }
    return events;
  });
}

export interface SnapshotRow extends Position {
  readonly deviceId: number;
  /** JSON text of the state. */
  readonly state: string;
}

/**
 * Save snapshots; delete the device's snapshots more than `keepMs` older than the new one,
 * and those less than `replaceWithinMs` older (a snapshot taken off the periodic rhythm
 * replaces a recent one rather than adding to the table). With `fences`, only the states of
 * devices whose lease is still held under them are saved (an instance declared dead saves none).
 */
export async function saveSnapshots(
  db: Executor,
  rows: readonly SnapshotRow[],
  keepMs: number,
  replaceWithinMs = 0,
  fences: Fences | null = null,
): Promise<void> {
  if (rows.length === 0) return;
  const col = <T>(f: (r: SnapshotRow) => T) => rows.map(f);
  const held = fences
    ? sql`JOIN unnest(${numericArray(fences.devices)}::int4[], ${numericArray(fences.fences)}::int8[]) AS f(d, fence) ON f.d = t.device_id
          JOIN device_leases l ON l.device_id = t.device_id AND l.fence = f.fence AND l.instance_id = ${fences.owner}::uuid
          WHERE ${fenceCondition({ owner: fences.owner, devices: [], fences: [] })}`
    : sql``;
  // The states as ONE JSON array (each is JSON text already): as a jsonb[] parameter, node-pg
  // escaped every quote of every state and PostgreSQL unescaped them again (~5 KB a state).
  await sql`
    WITH s AS (
      SELECT t.device_id, t.at_ms, t.seq, j.state
      FROM unnest(${numericArray(col((r) => r.deviceId))}::int4[], ${numericArray(col((r) => r.at))}::float8[],
                  ${numericArray(col((r) => r.seq))}::int8[]) WITH ORDINALITY AS t(device_id, at_ms, seq, i)
      JOIN jsonb_array_elements(${`[${col((r) => r.state).join(',')}]`}::jsonb) WITH ORDINALITY AS j(state, i) ON j.i = t.i
      ${held}
    ), pruned AS (
      DELETE FROM engine_snapshots e USING s
      WHERE e.device_id = s.device_id
        AND (e.at < to_timestamp((s.at_ms - ${keepMs}::float8) / 1000)
             OR (e.at > to_timestamp((s.at_ms - ${replaceWithinMs}::float8) / 1000) AND e.at < to_timestamp(s.at_ms / 1000)))
    )
    INSERT INTO engine_snapshots (device_id, at, seq, state)
    SELECT device_id, to_timestamp(at_ms / 1000), seq, state FROM s
    ON CONFLICT (device_id, at, seq) DO UPDATE SET state = excluded.state, saved_at = now()`.execute(db);
}

export interface DeviceHistory {
  readonly pending: Position | null;
  readonly snapshot: Snapshot | null;
  readonly stored: StoredReading[];
  readonly lifecycle: DeviceLifecycle;
}

/**
 * What rebuilding many devices at once needs, in four queries: their late readings
 * pending, newest snapshots, readings stored after those, and lifecycle events. Devices with pending late
 * readings are left out (they replay from an older snapshot, one by one).
 */
export async function loadHistories(db: Executor, ids: readonly number[]): Promise<Map<number, DeviceHistory>> {
  const pend = await sql<{ device_id: number }>`SELECT device_id FROM engine_pending WHERE device_id = ANY(${ids}::int4[])`.execute(db);
  const skip = new Set(pend.rows.map((r) => r.device_id));
  const wanted = ids.filter((id) => !skip.has(id));
  const out = new Map<number, DeviceHistory>();
  if (wanted.length === 0) return out;
  const snaps = await sql<{ device_id: number; at: Date; seq: number; state: unknown }>`
    SELECT DISTINCT ON (device_id) device_id, at, seq, state FROM engine_snapshots
    WHERE device_id = ANY(${wanted}::int4[]) AND ${usable} ORDER BY device_id, at DESC, seq DESC`.execute(db);
  const snapOf = new Map(snaps.rows.map((s) => [s.device_id, { at: s.at.getTime(), seq: s.seq, state: s.state }]));
  const after = wanted.map((id) => snapOf.get(id) ?? null);
  const rows = await sql<{ device_id: number; seq: number; at: Date; metric: number; value: number; score: number | null; received: number }>`
    SELECT s.device_id, r.seq, r.at, r.metric, r.value, r.score, extract(epoch FROM r.received_at)::float8 * 1000 AS received
    FROM unnest(${wanted}::int4[], ${after.map((a) => a?.at ?? null)}::float8[], ${after.map((a) => a?.seq ?? null)}::int8[]) AS s(device_id, at_ms, seq)
    JOIN readings r ON r.device_id = s.device_id
      -- A plain bound on at as well: the months before the snapshot are not read at all.
      AND r.at >= coalesce(to_timestamp(s.at_ms / 1000), '-infinity')
      AND (s.at_ms IS NULL OR (r.at, r.seq) > (to_timestamp(s.at_ms / 1000), s.seq))
    ORDER BY s.device_id, r.at, r.seq`.execute(db);
  const lifecycles = await lifecycleOf(db, wanted);
  for (const id of wanted) out.set(id, { pending: null, snapshot: snapOf.get(id) ?? null, stored: [], lifecycle: lifecycles.get(id) ?? NO_LIFECYCLE });
  for (const r of rows.rows) {
    out.get(r.device_id)!.stored.push({ seq: r.seq, at: r.at.getTime(), metric: r.metric, value: r.value, score: r.score, received: r.received });
  }
  return out;
}
