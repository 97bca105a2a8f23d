import { CompiledQuery, sql, type RawBuilder } from 'kysely';
import type { Db } from './db.ts';
import type { RawRow, SourceRow } from '../domain/export-rows.ts';

// SQL of the timeline export: the subjects in scope, and their events read through a
// server-side cursor in subject chunks, so neither the service nor the database holds
// more than a chunk's sort and one fetch at a time.

type Executor = Pick<Db, 'executeQuery' | 'getExecutor'>;

/** Readings whose positive values are `episode` events: vt_episodes, vf_episodes, atp_delivered, shocks_delivered. */
export const EPISODE_METRIC_IDS = [25, 26, 28, 29] as const;
export const BATTERY_STATUS_METRIC_ID = 23;
/** Alert event types that are timeline events (snoozed and commented are not). */
const ALERT_EVENT_TYPES = ['opened', 'updated', 'acknowledged', 'assigned', 'escalated', 'resolved'];

export interface SiteRef {
  readonly id: number;
  readonly code: string;
}

export async function sitesByCode(db: Executor, codes: readonly string[]): Promise<SiteRef[]> {
  const res = await sql<SiteRef>`SELECT id, code FROM sites WHERE code = ANY(${codes}::text[]) ORDER BY id`.execute(db);
  return res.rows;
}

export async function allSites(db: Executor): Promise<SiteRef[]> {
  return (await sql<SiteRef>`SELECT id, code FROM sites ORDER BY id`.execute(db)).rows;
}

export async function sitesById(db: Executor, ids: readonly number[]): Promise<SiteRef[]> {
  const res = await sql<SiteRef>`SELECT id, code FROM sites WHERE id = ANY(${ids}::int4[]) ORDER BY id`.execute(db);
  return res.rows;
}

/** Internal ids of the patients of these sites with at least one enrolled device: the subjects. */
export async function exportSubjects(db: Executor, siteIds: readonly number[]): Promise<number[]> {
  const res = await sql<{ id: number }>`
    SELECT p.id FROM patients p
    WHERE p.site_id = ANY(${siteIds}::int4[]) AND EXISTS (SELECT 1 FROM enrolments e WHERE e.patient_id = p.id)`.execute(db);
  return res.rows.map((r) => r.id);
}

export interface TimelineScope {
  /** Subjects in file order. */
  readonly patientIds: readonly number[];
  /** True-clock bounds wide enough for every date shift (ms); null = open. */
  readonly lo: number | null;
  readonly hi: number | null;
  readonly kinds: readonly string[] | null;
  readonly includeReadings: boolean;
  readonly includeOutcomes: boolean;
}

// Literals, not parameters: the planner matches them to the partial indexes of these
// readings (migrations/2026-11-30T0006_export.ts).
const EPISODE_METRICS = sql.join(EPISODE_METRIC_IDS.map((id) => sql.lit(id)));

const ts = (ms: number) => sql`to_timestamp(${ms}::float8 / 1000)`;

function inWindow(col: RawBuilder<unknown>, s: TimelineScope): RawBuilder<unknown> {
  const parts = [sql`true`];
  if (s.lo !== null) parts.push(sql`${col} >= ${ts(s.lo)}`);
  if (s.hi !== null) parts.push(sql`${col} < ${ts(s.hi)}`);
  return sql.join(parts, sql` AND `);
}

/**
 * The events of one chunk of subjects, in file order: by the chunk's order, then time,
 * then a fixed rank of event types, then the source's own order. Columns as SourceRow.
 *
 * The events are gathered per subject (a lateral subquery over the chunk's subjects, each
 * source read through the device's index) so PostgreSQL sorts one subject's rows at a
 * time (an incremental sort) and streams them: a fetch costs what its rows cost, instead
 * of the first fetch sorting the whole chunk while the service waits.
 */
export function timelineQuery(chunk: readonly number[], s: TimelineScope): RawBuilder<SourceRow> {
  const kindOk = s.kinds ? sql`a.kind = ANY(${s.kinds}::text[])` : sql`true`;
  const lossOk = s.kinds && !s.kinds.includes('connectivity_loss') ? sql`false` : sql`true`;
  const readings = s.includeReadings
    ? sql`
        UNION ALL
        SELECT r.at, 6, r.seq, 'reading', NULL, NULL, NULL, NULL, r.value, r.metric::float8, NULL, NULL
        FROM enrolments d JOIN readings r ON r.device_id = d.device_id
        WHERE d.patient_id = subj.patient_id AND ${inWindow(sql`r.at`, s)}`
    : sql``;
  return sql<SourceRow>`
    WITH subj AS (
      SELECT u.id AS patient_id, u.ord FROM unnest(${chunk}::int4[]) WITH ORDINALITY AS u(id, ord)
    )
    SELECT subj.patient_id, date_part('epoch', ev.at) * 1000 AS t, ev.event, ev.s1, ev.s2, ev.s3, ev.s4, ev.n1, ev.n2, ev.ref, ev.s5
    FROM subj CROSS JOIN LATERAL (
      -- The age at enrolment was kept with the enrolment: the export reads no date of birth.
      SELECT d.enrolled_at AS at, 0 AS rank, d.device_id::int8 AS tie, 'enrolled' AS event,
             d.device_type AS s1, st.code AS s2, p.sex AS s3, NULL::text AS s4,
             d.age_at_enrolment::float8 AS n1, NULL::float8 AS n2, NULL::int8 AS ref, NULL::text AS s5
      FROM enrolments d JOIN patients p ON p.id = d.patient_id JOIN sites st ON st.id = p.site_id
      WHERE d.patient_id = subj.patient_id
      UNION ALL
      SELECT e.at, 2, e.cursor, 'alert_' || e.type, a.kind,
             coalesce(e.data->>'priority', a.priority), e.data->>'resolution', u.role, NULL, NULL, a.id, e.data->>'outcome'
      FROM enrolments d JOIN alerts a ON a.device_id = d.device_id JOIN alert_events e ON e.alert_id = a.id
      LEFT JOIN users u ON u.id = e.actor_id
      WHERE d.patient_id = subj.patient_id AND e.type = ANY(${s.includeOutcomes ? [...ALERT_EVENT_TYPES, 'outcome'] : ALERT_EVENT_TYPES}::text[]) AND ${kindOk} AND ${inWindow(sql`e.at`, s)}
      UNION ALL
      -- A connectivity_loss alert opening is the device going silent; the first reading
      -- the service receives after it, the device coming back (both on the service clock).
      SELECT x.at, x.rank, e.cursor, x.event, NULL, NULL, NULL, NULL, NULL, NULL, a.id, NULL
      FROM enrolments d JOIN alerts a ON a.device_id = d.device_id AND a.kind = 'connectivity_loss'
      JOIN alert_events e ON e.alert_id = a.id AND e.type = 'opened'
      CROSS JOIN LATERAL (
        SELECT e.at, 3, 'connectivity_lost'
        UNION ALL
        SELECT min(r.received_at), 1, 'connectivity_restored' FROM readings r
        WHERE r.device_id = a.device_id AND r.received_at > e.at
      ) x(at, rank, event)
      WHERE d.patient_id = subj.patient_id AND x.at IS NOT NULL AND ${lossOk} AND ${inWindow(sql`x.at`, s)}
      UNION ALL
      -- A past silence no alert was raised for (found in history uploaded later): lost at the
      -- last reading before it, restored at the reading that ended it, both in event time.
      SELECT x.at, x.rank, c.to_seq, x.event, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
      FROM enrolments d JOIN connectivity_episodes c ON c.device_id = d.device_id
      CROSS JOIN LATERAL (VALUES (c.from_at, 3, 'connectivity_lost'), (c.to_at, 1, 'connectivity_restored')) x(at, rank, event)
      WHERE d.patient_id = subj.patient_id AND ${lossOk} AND ${inWindow(sql`x.at`, s)}
        AND NOT EXISTS (SELECT 1 FROM alert_triggers t
                        WHERE t.device_id = c.device_id AND t.kind = 'connectivity_loss' AND t.seq = c.from_seq)
      UNION ALL
      SELECT rc.at, 4, rc.seq, 'risk_changed', rc.status, rc.previous, NULL, NULL, rc.score, NULL, NULL, NULL
      FROM enrolments d JOIN risk_changes rc ON rc.device_id = d.device_id
      WHERE d.patient_id = subj.patient_id AND ${inWindow(sql`rc.at`, s)}
      UNION ALL
      SELECT r.at, 5, r.seq, 'episode', NULL, NULL, NULL, NULL, r.value, r.metric::float8, NULL, NULL
      FROM enrolments d JOIN readings r ON r.device_id = d.device_id
      WHERE d.patient_id = subj.patient_id AND r.metric IN (${EPISODE_METRICS}) AND r.value > 0 AND ${inWindow(sql`r.at`, s)}
      UNION ALL
      -- Each new battery status: the device's whole history is read, so the first status
      -- inside the window is compared with the one before it.
      SELECT b.at, 5, b.seq, 'battery_status', NULL, NULL, NULL, NULL, b.value, b.prev, NULL, NULL
      FROM (
        SELECT r.at, r.seq, r.value, lag(r.value) OVER (PARTITION BY d.device_id ORDER BY r.at, r.seq) AS prev
        FROM enrolments d JOIN readings r ON r.device_id = d.device_id AND r.metric = ${sql.lit(BATTERY_STATUS_METRIC_ID)}
        WHERE d.patient_id = subj.patient_id
      ) b
      WHERE b.prev IS DISTINCT FROM b.value AND ${inWindow(sql`b.at`, s)}
      ${readings}
    ) ev
    ORDER BY subj.ord, ev.at, ev.rank, ev.tie`;
}

export interface StreamOptions {
  /** Subjects per query: bounds the database's sort. */
  readonly chunkSubjects: number;
  /** Rows per FETCH: bounds the service's memory. */
  readonly fetchRows: number;
  readonly signal?: AbortSignal;
}

export class ExportCancelled extends Error {
  constructor() {
    super('export cancelled');
    this.name = 'ExportCancelled';
  }
}

/** Every column as PostgreSQL's text: the export parses only what it writes. */
const TEXT_TYPES = { getTypeParser: () => (text: string) => text };

/**
 * A FETCH whose rows come back as arrays of text (node-postgres rowMode 'array', no type
 * parsing): node-postgres takes a query config where Kysely passes the statement's text.
 */
function fetchText(cursor: string, rows: number): CompiledQuery<RawRow> {
  const text = `FETCH ${rows} FROM ${cursor}`;
  return { ...CompiledQuery.raw(text), sql: { text, rowMode: 'array', types: TEXT_TYPES } as unknown as string } as CompiledQuery<RawRow>;
}

/**
 * Read the scope's events through a cursor, calling `onRows` with each fetch in file
 * order (rows as RawRow) and `onSubjects` after each chunk. One REPEATABLE READ, READ ONLY
 * transaction: every chunk sees the same snapshot. The next fetch is read while the
 * current one is written, so the database and the formatting overlap. An abort cancels
 * the statement in flight (pg_cancel_backend) and rolls back, so the connection returns
 * to the pool at once.
 */
export async function streamTimeline(
  db: Db,
  scope: TimelineScope,
  opts: StreamOptions,
  onRows: (rows: readonly RawRow[]) => Promise<void> | void,
  onSubjects: (done: number) => void = () => {},
): Promise<void> {
  const { signal } = opts;
  const fetchRows = Math.max(1, Math.floor(opts.fetchRows));
  await db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(async (trx) => {
    const pid = (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx)).rows[0]!.pid;
    // Each chunk's query is planned afresh; compiling it costs more than it saves.
    await sql`SET LOCAL jit = off`.execute(trx);
    let inFlight = 0;
    const cancel = () => {
      // A statement in flight is cancelled from another connection; between statements
      // the loop sees the signal itself.
      if (inFlight > 0) void sql`SELECT pg_cancel_backend(${pid})`.execute(db).catch(() => {});
    };
    signal?.addEventListener('abort', cancel, { once: true });
    const run = async <T>(q: RawBuilder<T> | CompiledQuery<T>): Promise<{ rows: T[] }> => {
      if (signal?.aborted) throw new ExportCancelled();
      inFlight++;
      try {
        return 'execute' in q ? await q.execute(trx) : await trx.executeQuery(q);
      } catch (e) {
        if (signal?.aborted) throw new ExportCancelled();
        throw e;
      } finally {
        inFlight--;
      }
    };
    const fetch = fetchText('export_timeline', fetchRows);
    let next: Promise<{ rows: RawRow[] }> | null = null;
    try {
      for (let i = 0; i < scope.patientIds.length; i += opts.chunkSubjects) {
        const chunk = scope.patientIds.slice(i, i + opts.chunkSubjects);
        await run(sql`DECLARE export_timeline NO SCROLL CURSOR FOR ${timelineQuery(chunk, scope)}`);
        next = run(fetch);
        for (;;) {
          const res: { rows: RawRow[] } = await next!;
          next = null;
          const more = res.rows.length >= fetchRows;
          if (more) {
            next = run(fetch);
            // Awaited on the next turn; if writing fails first, the failure that counts is the write's.
            next.catch(() => {});
          }
          if (res.rows.length > 0) await onRows(res.rows);
          if (!more) break;
        }
        await run(sql`CLOSE export_timeline`);
        onSubjects(i + chunk.length);
      }
    } finally {
      signal?.removeEventListener('abort', cancel);
      // A fetch still reading when the writing failed ends before the transaction rolls back.
      if (next) await next.catch(() => {});
    }
  });
}

/** One enrolled device of a subject, as the timeline query reads it (src/store/export.ts). */
export interface EnrolmentSource {
  readonly patient_id: number;
  readonly device_type: string | null;
  readonly site: string | null;
  readonly sex: string | null;
  /** Age at enrolment in whole years, as kept with the enrolment. */
  readonly age: number | null;
}

/** The `enrolled` rows' source values of these subjects: the timeline query's own expressions. */
export async function readEnrolments(db: Pick<Db, 'executeQuery' | 'getExecutor'>, patientIds: readonly number[]): Promise<EnrolmentSource[]> {
  if (patientIds.length === 0) return [];
  const res = await sql<EnrolmentSource>`
    SELECT d.patient_id, d.device_type, st.code AS site, p.sex,
           d.age_at_enrolment::float8 AS age
    FROM enrolments d JOIN patients p ON p.id = d.patient_id JOIN sites st ON st.id = p.site_id
    WHERE d.patient_id = ANY(${patientIds}::int4[])`.execute(db);
  return res.rows;
}
