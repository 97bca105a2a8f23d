import { sql } from 'kysely';
import type { Db } from './db.ts';

// SQL of the patient page's heart-failure panel, episode list and transmission view
// (src/patients/records-routes.ts): readings for the engine's replay, risk changes,
// episode counters and readings grouped by transmission.

type Executor = Pick<Db, 'executeQuery' | 'getExecutor'>;

export interface ReplayRow { seq: number; at: number; metric: number; value: number; received: number }

/**
 * A device's readings after a position (all with null) and before `to`, in event order, as
 * epoch ms and numbers (as store/replay.ts reads them for the engine); at most `limit`.
 */
export async function readingsBetween(
  db: Executor, deviceId: number, after: { at: number; seq: number } | null, to: number, limit: number,
): Promise<ReplayRow[]> {
  const res = await sql<ReplayRow>`
    SELECT seq::float8 AS seq, floor(extract(epoch FROM at) * 1000)::float8 AS at, metric, value,
           floor(extract(epoch FROM received_at) * 1000)::float8 AS received
    FROM readings WHERE device_id = ${deviceId} AND at < ${new Date(to)}
    ${after ? sql`AND at >= to_timestamp(${after.at}::float8 / 1000) AND (at, seq) > (to_timestamp(${after.at}::float8 / 1000), ${after.seq}::int8)` : sql``}
    ORDER BY at, seq LIMIT ${limit}`.execute(db);
  return res.rows;
}

export interface RiskChange { device_id: number; at: Date; status: string; previous: string; score: number }

/**
 * The devices' heart-failure risk changes in [from, to), oldest first, and the status each
 * device had at `from` (its last change before; absent when it had none).
 */
export async function riskChangesBetween(
  db: Executor, deviceIds: readonly number[], from: Date, to: Date,
): Promise<{ changes: RiskChange[]; atFrom: Map<number, string> }> {
  if (deviceIds.length === 0) return { changes: [], atFrom: new Map() };
  const changes = await sql<RiskChange>`
    SELECT device_id, at, status, previous, score FROM risk_changes
    WHERE device_id = ANY(${deviceIds}::int4[]) AND at >= ${from} AND at < ${to}
    ORDER BY at, seq LIMIT 5000`.execute(db);
  const before = await sql<{ device_id: number; status: string }>`
    SELECT DISTINCT ON (device_id) device_id, status FROM risk_changes
    WHERE device_id = ANY(${deviceIds}::int4[]) AND at < ${from}
    ORDER BY device_id, at DESC, seq DESC`.execute(db);
  return { changes: changes.rows, atFrom: new Map(before.rows.map((r) => [r.device_id, r.status])) };
}

export interface CounterReading { device_id: number; seq: number; at: Date; metric: number; value: number; received_at: Date }

/** Readings of these (count) metrics above zero in [from, to), newest first; at most `limit`. */
export async function positiveCounts(
  db: Executor, deviceIds: readonly number[], metricIds: readonly number[], from: Date, to: Date, limit: number,
): Promise<CounterReading[]> {
  if (deviceIds.length === 0) return [];
  const res = await sql<CounterReading>`
    SELECT device_id, seq::float8 AS seq, at, metric, value, received_at FROM readings
    WHERE device_id = ANY(${deviceIds}::int4[]) AND at >= ${from} AND at < ${to}
      AND metric = ANY(${metricIds}::int2[]) AND value > 0
    ORDER BY at DESC, seq DESC LIMIT ${limit}`.execute(db);
  return res.rows;
}

export interface EpisodeInPeriod {
  readonly serial: string; readonly class: string; readonly type: string; readonly vendor_type: string; readonly at: Date | null;
  readonly duration_s: number | null; readonly therapy: string; readonly result: string; readonly reported_at: Date;
}

/** The devices' IDCO episodes whose time (or report time, when the device gave none) is in [from, to), newest first. */
export async function episodesBetween(db: Executor, serials: readonly string[], from: Date, to: Date, limit: number): Promise<EpisodeInPeriod[]> {
  if (serials.length === 0) return [];
  const res = await sql<EpisodeInPeriod>`
    SELECT serial, class, type, vendor_type, at, duration_s, therapy, result, reported_at FROM device_episodes
    WHERE serial = ANY(${serials}::text[]) AND coalesce(at, reported_at) >= ${from} AND coalesce(at, reported_at) < ${to}
    ORDER BY coalesce(at, reported_at) DESC, id DESC LIMIT ${limit}`.execute(db);
  return res.rows;
}

/**
 * One transmission: a device's readings stored by one insert (same received_at) from one
 * gateway. `received` is microseconds since the epoch, as text (a Date would lose them, and
 * the page cursor must not).
 */
export interface TransmissionRow {
  device_id: number;
  gateway_id: number;
  gateway: string;
  received: string;
  received_at: Date;
  first_at: Date;
  last_at: Date;
  readings: number;
  metrics: number[];
}

export interface TransmissionCursor { received: string; deviceId: number; gatewayId: number }

const micros = sql`(extract(epoch FROM r.received_at) * 1000000)::int8`;

/**
 * The devices' transmissions received in [from, to), newest first, after `before` in that
 * order; at most `limit`.
 */
export async function transmissionsBetween(
  db: Executor, deviceIds: readonly number[], from: Date, to: Date, before: TransmissionCursor | null, limit: number,
): Promise<TransmissionRow[]> {
  if (deviceIds.length === 0) return [];
  const res = await sql<TransmissionRow>`
    SELECT t.*, g.name AS gateway FROM (
      SELECT r.device_id, r.gateway_id, ${micros}::text AS received, r.received_at,
             min(r.at) AS first_at, max(r.at) AS last_at, count(*)::int AS readings, array_agg(DISTINCT r.metric) AS metrics
      FROM readings r
      WHERE r.device_id = ANY(${deviceIds}::int4[]) AND r.received_at >= ${from} AND r.received_at < ${to}
      GROUP BY r.device_id, r.gateway_id, r.received_at
    ) t JOIN gateways g ON g.id = t.gateway_id
    ${before ? sql`WHERE (t.received::int8, t.device_id, t.gateway_id) < (${before.received}::int8, ${before.deviceId}::int4, ${before.gatewayId}::int4)` : sql``}
    ORDER BY t.received::int8 DESC, t.device_id DESC, t.gateway_id DESC
    LIMIT ${limit}`.execute(db);
  return res.rows;
}

/**
 * Each device's `n` transmissions received before `before` (microseconds, text), oldest first
 * per device: the history against which a transmission's usual metrics are judged.
 */
export async function transmissionsBefore(
  db: Executor, devices: ReadonlyArray<{ deviceId: number; before: string }>, n: number,
): Promise<Array<{ device_id: number; received: string; metrics: number[] }>> {
  if (devices.length === 0) return [];
  const res = await sql<{ device_id: number; received: string; metrics: number[] }>`
    SELECT s.device_id, t.received, t.metrics
    FROM unnest(${devices.map((d) => d.deviceId)}::int4[], ${devices.map((d) => d.before)}::int8[]) AS s(device_id, before)
    CROSS JOIN LATERAL (
      SELECT ${micros}::text AS received, array_agg(DISTINCT r.metric) AS metrics
      FROM readings r WHERE r.device_id = s.device_id AND ${micros} < s.before
      GROUP BY r.gateway_id, r.received_at ORDER BY r.received_at DESC, r.gateway_id DESC LIMIT ${n}
    ) t
    ORDER BY s.device_id, t.received::int8, t.received`.execute(db);
  return res.rows;
}
