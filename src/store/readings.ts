import { sql } from 'kysely';
import type { Db } from './db.ts';
import { pgSafeJson, pgSafeText } from './text.ts';

// SQL of the ingest hot path: one statement per table per flush, arrays unnested.

export interface ReadingRow {
  readonly deviceId: number;
  readonly seq: number;
  readonly at: number;
  readonly metricId: number;
  readonly value: number;
  readonly gatewayId: number;
}

export interface QuarantineRow {
  readonly gatewayId: number | null;
  readonly siteId: number | null;
  readonly source: string;
  readonly batchId: string | null;
  readonly idx: number | null;
  readonly code: string;
  readonly message: string;
  readonly raw: unknown;
}

export interface StoredContent {
  readonly at: number;
  readonly metricId: number;
  readonly value: number;
}

type Executor = Pick<Db, 'executeQuery' | 'getExecutor'>;

function columns(rows: readonly ReadingRow[]) {
  const n = rows.length;
  const device = new Array<number>(n);
  const seq = new Array<number>(n);
  const at = new Array<string>(n);
  const metric = new Array<number>(n);
  const value = new Array<number>(n);
  const gateway = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    device[i] = r.deviceId;
    seq[i] = r.seq;
    at[i] = new Date(r.at).toISOString();
    metric[i] = r.metricId;
    value[i] = r.value;
    gateway[i] = r.gatewayId;
  }
  return { device, seq, at, metric, value, gateway };
}

/** Insert, skipping keys already stored; returns how many rows were inserted. */
export async function insertReadings(db: Executor, rows: readonly ReadingRow[]): Promise<number> {
  const c = columns(rows);
  const res = await sql`
    INSERT INTO readings (device_id, seq, at, metric, value, gateway_id)
    SELECT * FROM unnest(${c.device}::int4[], ${c.seq}::int8[], ${c.at}::timestamptz[],
                         ${c.metric}::int2[], ${c.value}::float8[], ${c.gateway}::int4[])
    ON CONFLICT DO NOTHING`.execute(db);
  return Number(res.numAffectedRows ?? 0n);
}

/** Insert, skipping keys already stored; returns the keys inserted (`device:seq`). */
export async function insertReadingsReturning(db: Executor, rows: readonly ReadingRow[]): Promise<Set<string>> {
  const c = columns(rows);
  const res = await sql<{ device_id: number; seq: number }>`
    INSERT INTO readings (device_id, seq, at, metric, value, gateway_id)
    SELECT * FROM unnest(${c.device}::int4[], ${c.seq}::int8[], ${c.at}::timestamptz[],
                         ${c.metric}::int2[], ${c.value}::float8[], ${c.gateway}::int4[])
    ON CONFLICT DO NOTHING
    RETURNING device_id, seq`.execute(db);
  return new Set(res.rows.map((r) => `${r.device_id}:${r.seq}`));
}

/** What is stored under each key, for telling a duplicate from a seq_conflict. */
export async function storedContent(
  db: Executor,
  keys: ReadonlyArray<{ deviceId: number; seq: number }>,
): Promise<Map<string, StoredContent>> {
  const res = await sql<{ device_id: number; seq: number; at: Date; metric: number; value: number }>`
    SELECT r.device_id, r.seq, r.at, r.metric, r.value
    FROM unnest(${keys.map((k) => k.deviceId)}::int4[], ${keys.map((k) => k.seq)}::int8[]) AS k(device_id, seq)
    JOIN readings r ON r.device_id = k.device_id AND r.seq = k.seq`.execute(db);
  return new Map(
    res.rows.map((r) => [`${r.device_id}:${r.seq}`, { at: r.at.getTime(), metricId: r.metric, value: r.value }]),
  );
}

export async function insertQuarantine(db: Executor, rows: readonly QuarantineRow[]): Promise<void> {
  if (rows.length === 0) return;
  const text = (s: string | null) => (s === null ? null : pgSafeText(s));
  await sql`
    INSERT INTO quarantine (gateway_id, site_id, source, batch_id, idx, code, message, raw)
    SELECT * FROM unnest(${rows.map((r) => r.gatewayId)}::int4[], ${rows.map((r) => r.siteId)}::int4[],
                         ${rows.map((r) => r.source)}::text[], ${rows.map((r) => text(r.batchId))}::text[],
                         ${rows.map((r) => r.idx)}::int4[], ${rows.map((r) => r.code)}::text[],
                         ${rows.map((r) => text(r.message))}::text[], ${rows.map((r) => pgSafeJson(r.raw))}::jsonb[])`.execute(db);
}

export interface LastSeen {
  readonly lastSeq: number;
  readonly lastAt: Date;
}

/** Highest stored seq (and its event time) per device serial, within one site. */
export async function lastSeqBySerial(db: Executor, siteId: number, serials: readonly string[]): Promise<Map<string, LastSeen>> {
  const res = await sql<{ serial: string; seq: number; at: Date }>`
    SELECT d.serial, r.seq, r.at
    FROM devices d
    CROSS JOIN LATERAL (
      SELECT seq, at FROM readings WHERE device_id = d.id ORDER BY seq DESC LIMIT 1
    ) r
    WHERE d.serial = ANY(${serials}::text[]) AND d.site_id = ${siteId}`.execute(db);
  return new Map(res.rows.map((r) => [r.serial, { lastSeq: r.seq, lastAt: r.at }]));
}
