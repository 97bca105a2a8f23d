import { sql, type RawBuilder } from 'kysely';
import type pg from 'pg';
import type { Db } from './db.ts';
import type { Executor } from './engine-effects.ts';
import { numericArray } from './readings.ts';

// SQL of device ownership across instances (migration 2026-12-07T0010): instance rows with
// their expiry, device leases with their fence, and the fence every scored write carries.

/** Channel on which an instance is asked to hand devices over (payload: the owner's id). */
export const LEASE_WANTED_CHANNEL = 'device_lease_wanted';
/** Channel on which an instance says it handed devices over (payload: the instance that wanted them). */
export const LEASE_RELEASED_CHANNEL = 'device_lease_released';

/** SQLSTATE of device_leases_held's refusal. */
const LEASE_LOST = 'TL001';

export function isLeaseLost(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === LEASE_LOST;
}

/** The fences of a write: which instance, and per device the fence its state was loaded under. */
export interface Fences {
  readonly owner: string;
  readonly devices: readonly number[];
  readonly fences: readonly number[];
}

/** A condition that is true, or raises TL001, as device_leases_held says. */
export function fenceCondition(f: Fences): RawBuilder<unknown> {
  return sql`(SELECT device_leases_held(${f.owner}::uuid, ${numericArray(f.devices)}::int4[], ${numericArray(f.fences)}::int8[]))`;
}

export async function assertFences(db: Executor, f: Fences): Promise<void> {
  await sql`SELECT ${fenceCondition(f)}`.execute(db);
}

export async function registerInstance(db: Db, id: string, ttlMs: number): Promise<void> {
  await sql`INSERT INTO service_instances (id, expires_at) VALUES (${id}::uuid, clock_timestamp() + ${ttlMs} * interval '1 millisecond')`.execute(db);
}

/** Renew the instance's expiry; false when its row is gone (another instance declared it dead). */
export async function heartbeat(db: Db, id: string, ttlMs: number): Promise<boolean> {
  const res = await sql`UPDATE service_instances SET expires_at = clock_timestamp() + ${ttlMs} * interval '1 millisecond' WHERE id = ${id}::uuid`.execute(db);
  return Number(res.numAffectedRows ?? 0) === 1;
}

/** Run on the instance's LISTEN connection: its backend is how others see it is still alive. */
export async function recordListenBackend(client: pg.Client, id: string): Promise<void> {
  await client.query(
    `UPDATE service_instances SET listen_pid = pg_backend_pid(),
       listen_started = (SELECT backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid())
     WHERE id = $1::uuid`,
    [id],
  );
}

/**
 * Take the leases of `devices` that are free, ours, or held by an instance that no longer
 * exists; answers the fence of each taken. Every taking moves the fence on, so a state loaded
 * before can never be written again.
 */
export async function acquireLeases(db: Db, owner: string, devices: readonly number[]): Promise<Map<number, number>> {
  if (devices.length === 0) return new Map();
  // In device order: concurrent takers and writers lock rows in the same order.
  const sorted = [...devices].sort((a, b) => a - b);
  const res = await sql<{ device_id: number; fence: string }>`
    INSERT INTO device_leases AS l (device_id, instance_id)
    SELECT d, ${owner}::uuid FROM unnest(${numericArray(sorted)}::int4[]) AS d ORDER BY d
    ON CONFLICT (device_id) DO UPDATE
      SET instance_id = excluded.instance_id, fence = l.fence + 1, wanted_by = NULL, updated_at = clock_timestamp()
      WHERE l.instance_id IS NULL OR l.instance_id = excluded.instance_id
         OR NOT EXISTS (SELECT 1 FROM service_instances i WHERE i.id = l.instance_id)
    RETURNING device_id, fence`.execute(db);
  return new Map(res.rows.map((r) => [r.device_id, Number(r.fence)]));
}

/**
 * Declare dead those of `owners` that stopped renewing their row or whose LISTEN connection's
 * backend is gone; waits for their writes in progress (the row lock). Returns how many.
 */
export async function reapInstances(db: Db, owners: readonly string[]): Promise<number> {
  if (owners.length === 0) return 0;
  const res = await sql`
    DELETE FROM service_instances i WHERE i.id = ANY(${owners}::uuid[])
      AND (i.expires_at < clock_timestamp()
           OR (i.listen_pid IS NOT NULL AND NOT EXISTS (
                 SELECT 1 FROM pg_stat_activity a WHERE a.pid = i.listen_pid AND a.backend_start = i.listen_started)))`.execute(db);
  return Number(res.numAffectedRows ?? 0);
}

/** Ask the holders of `devices` to hand them over; answers the holders asked. */
export async function requestHandoff(db: Db, owner: string, devices: readonly number[]): Promise<string[]> {
  if (devices.length === 0) return [];
  const res = await sql<{ instance_id: string }>`
    WITH asked AS (
      UPDATE device_leases SET wanted_by = ${owner}::uuid
      WHERE device_id = ANY(${numericArray(devices)}::int4[]) AND instance_id IS NOT NULL AND instance_id <> ${owner}::uuid
      RETURNING instance_id
    )
    SELECT i AS instance_id, pg_notify(${LEASE_WANTED_CHANNEL}, i::text) IS NULL FROM (SELECT DISTINCT instance_id FROM asked) AS x(i)`.execute(db);
  return res.rows.map((r) => r.instance_id);
}

/** The devices of `owner` another instance asked for, with their fences and who asked. */
export async function wantedFrom(db: Db, owner: string): Promise<Array<{ deviceId: number; fence: number; wantedBy: string }>> {
  const res = await sql<{ device_id: number; fence: string; wanted_by: string }>`
    SELECT device_id, fence, wanted_by FROM device_leases WHERE instance_id = ${owner}::uuid AND wanted_by IS NOT NULL`.execute(db);
  return res.rows.map((r) => ({ deviceId: r.device_id, fence: Number(r.fence), wantedBy: r.wanted_by }));
}

/**
 * Let go of leases still held under the given fences (in the caller's transaction, after
 * the states' snapshots), and tell whoever wanted them.
 */
export async function releaseLeases(db: Executor, f: Fences): Promise<void> {
  if (f.devices.length === 0) return;
  await sql`
    WITH released AS (
      UPDATE device_leases l SET instance_id = NULL, updated_at = clock_timestamp()
      FROM unnest(${numericArray(f.devices)}::int4[], ${numericArray(f.fences)}::int8[]) AS u(d, f)
      WHERE l.device_id = u.d AND l.fence = u.f AND l.instance_id = ${f.owner}::uuid
      RETURNING l.wanted_by
    )
    SELECT pg_notify(${LEASE_RELEASED_CHANNEL}, w::text) FROM (SELECT DISTINCT wanted_by FROM released WHERE wanted_by IS NOT NULL) AS x(w)`.execute(db);
}

/** At shutdown, once every state is saved: every lease of the instance, and its row. */
export async function retireInstance(db: Db, owner: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`
      WITH released AS (
        UPDATE device_leases SET instance_id = NULL, updated_at = clock_timestamp()
        WHERE instance_id = ${owner}::uuid RETURNING wanted_by
      )
      SELECT pg_notify(${LEASE_RELEASED_CHANNEL}, w::text) FROM (SELECT DISTINCT wanted_by FROM released WHERE wanted_by IS NOT NULL) AS x(w)`.execute(trx);
    await sql`DELETE FROM service_instances WHERE id = ${owner}::uuid`.execute(trx);
  });
}

/** Instances whose rows lapsed long ago and were never reaped (no one wanted their devices). */
export async function forgetLapsedInstances(db: Db, olderThanMs: number): Promise<void> {
  await sql`DELETE FROM service_instances WHERE expires_at < clock_timestamp() - ${olderThanMs} * interval '1 millisecond'`.execute(db);
}

/** Current holder of each of `devices` that another instance holds. */
export async function holders(db: Db, owner: string, devices: readonly number[]): Promise<Map<number, string>> {
  if (devices.length === 0) return new Map();
  const res = await sql<{ device_id: number; instance_id: string }>`
    SELECT device_id, instance_id FROM device_leases
    WHERE device_id = ANY(${numericArray(devices)}::int4[]) AND instance_id IS NOT NULL AND instance_id <> ${owner}::uuid`.execute(db);
  return new Map(res.rows.map((r) => [r.device_id, r.instance_id]));
}
