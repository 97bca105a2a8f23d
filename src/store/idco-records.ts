import { sql } from 'kysely';
import type { Db } from './db.ts';

// SQL of what HL7 IDCO messages report beside readings: episodes, "recent" counters,
// settings and lead status (migration 2026-12-05T0003). All inserts are idempotent.

type Executor = Pick<Db, 'executeQuery' | 'getExecutor'>;

export interface CounterRow {
  readonly name: string;
  readonly value: number;
  readonly periodStart: Date | null;
}

/**
 * Record this transmission's counters and answer, per counter, the latest value reported
 * *before* it. Only earlier transmissions count, so the answer for one message is the same
 * however often it is posted, and whether or not its readings were stored the first time.
 */
export async function recordCounters(db: Executor, serial: string, reportedAt: Date, counters: readonly CounterRow[]): Promise<Map<string, { value: number; periodStart: Date | null }>> {
  if (counters.length === 0) return new Map();
  await sql`
    INSERT INTO device_counters (serial, name, reported_at, value, period_start)
    SELECT ${serial}, n, ${reportedAt}, v, p
    FROM unnest(${counters.map((c) => c.name)}::text[], ${counters.map((c) => c.value)}::int4[], ${counters.map((c) => c.periodStart)}::timestamptz[]) AS u(n, v, p)
    ON CONFLICT DO NOTHING`.execute(db);
  const res = await sql<{ name: string; value: number; period_start: Date | null }>`
    SELECT DISTINCT ON (name) name, value, period_start FROM device_counters
    WHERE serial = ${serial} AND name = ANY(${counters.map((c) => c.name)}::text[]) AND reported_at < ${reportedAt}
    ORDER BY name, reported_at DESC`.execute(db);
  return new Map(res.rows.map((r) => [r.name, { value: r.value, periodStart: r.period_start }]));
}

export interface EpisodeRow {
  readonly key: string;
  readonly cls: string;
  readonly type: string;
  readonly vendorType: string;
  readonly at: Date | null;
  readonly durationS: number | null;
  readonly therapy: string;
  readonly result: string;
}

/** Store episodes not stored before (by serial and key). */
export async function recordEpisodes(db: Executor, serial: string, reportedAt: Date, episodes: readonly EpisodeRow[]): Promise<void> {
  if (episodes.length === 0) return;
  const col = <T>(f: (e: EpisodeRow) => T) => episodes.map(f);
  await sql`
    INSERT INTO device_episodes (serial, episode_key, class, type, vendor_type, at, duration_s, therapy, result, reported_at)
    SELECT ${serial}, k, c, t, vt, a, d, th, r, ${reportedAt}
    FROM unnest(${col((e) => e.key)}::text[], ${col((e) => e.cls)}::text[], ${col((e) => e.type)}::text[], ${col((e) => e.vendorType)}::text[],
                ${col((e) => e.at)}::timestamptz[], ${col((e) => e.durationS)}::float8[], ${col((e) => e.therapy)}::text[], ${col((e) => e.result)}::text[])
      AS u(k, c, t, vt, a, d, th, r)
    ON CONFLICT DO NOTHING`.execute(db);
}

export interface ObservationRow {
  readonly ref: string;
  readonly subId: string;
  readonly kind: 'setting' | 'status';
  readonly value: string;
  readonly unit: string;
}

export async function recordObservations(db: Executor, serial: string, reportedAt: Date, rows: readonly ObservationRow[]): Promise<void> {
  if (rows.length === 0) return;
  const col = <T>(f: (e: ObservationRow) => T) => rows.map(f);
  await sql`
    INSERT INTO device_observations (serial, ref, sub_id, kind, value, unit, reported_at)
    SELECT ${serial}, r, s, k, v, u, ${reportedAt}
    FROM unnest(${col((e) => e.ref)}::text[], ${col((e) => e.subId)}::text[], ${col((e) => e.kind)}::text[], ${col((e) => e.value)}::text[], ${col((e) => e.unit)}::text[]) AS x(r, s, k, v, u)
    ON CONFLICT DO NOTHING`.execute(db);
}

export interface StoredEpisode {
  readonly serial: string;
  readonly class: string;
  readonly type: string;
  readonly vendor_type: string;
  readonly at: Date | null;
  readonly duration_s: number | null;
  readonly therapy: string;
  readonly result: string;
  readonly reported_at: Date;
}

/** The devices' episodes, newest first (at most `limit`). */
export async function episodesOf(db: Executor, serials: readonly string[], limit: number): Promise<StoredEpisode[]> {
  if (serials.length === 0) return [];
  const res = await sql<StoredEpisode>`
    SELECT serial, class, type, vendor_type, at, duration_s, therapy, result, reported_at FROM device_episodes
    WHERE serial = ANY(${serials}::text[]) ORDER BY coalesce(at, reported_at) DESC, id DESC LIMIT ${limit}`.execute(db);
  return res.rows;
}

export interface LatestObservation {
  readonly serial: string;
  readonly ref: string;
  readonly sub_id: string;
  readonly kind: string;
  readonly value: string;
  readonly unit: string;
  readonly reported_at: Date;
}

/** Each setting and status of the devices as last reported. */
export async function latestObservations(db: Executor, serials: readonly string[]): Promise<LatestObservation[]> {
  if (serials.length === 0) return [];
  const res = await sql<LatestObservation>`
    SELECT DISTINCT ON (serial, ref, sub_id) serial, ref, sub_id, kind, value, unit, reported_at FROM device_observations
    WHERE serial = ANY(${serials}::text[]) ORDER BY serial, ref, sub_id, reported_at DESC`.execute(db);
  return res.rows;
}
