import { sql } from 'kysely';
import type { Db } from './db.ts';
import type { AlertRow } from '../domain/alerts.ts';

// Reads of alerts and their history.

type Executor = Pick<Db, 'executeQuery' | 'getExecutor'>;

export interface AlertFilter {
  /** Sites the caller may see; null = every site (admins). */
  readonly siteIds: readonly number[] | null;
  readonly status?: readonly string[];
  readonly priority?: readonly string[];
  readonly kind?: readonly string[];
  readonly deviceIds?: readonly number[];
  readonly patientId?: number;
  readonly ids?: readonly number[];
  /** Keyset pagination: alerts with a larger id (a smaller one with newestFirst). */
  readonly afterId?: number;
  readonly newestFirst?: boolean;
  readonly limit: number;
}

const alertColumns = sql`
  a.id, d.serial, s.code AS site, 'p-' || en.patient_id AS patient, a.kind, a.priority, a.status,
  a.opened_at, a.last_seen_at, a.raised_at, a.occurrences, a.trigger, a.score, a.summary, a.evidence,
  u.email AS assignee, a.snoozed_until, a.escalation_level, a.resolution, a.outcome, a.device_id, a.site_id`;

export type StoredAlert = AlertRow & { device_id: number; site_id: number };

export async function listAlerts(db: Executor, f: AlertFilter): Promise<StoredAlert[]> {
  const where = [sql`true`];
  if (f.siteIds) where.push(sql`a.site_id = ANY(${f.siteIds}::int4[])`);
  if (f.status?.length) where.push(sql`a.status = ANY(${f.status}::text[])`);
  if (f.priority?.length) where.push(sql`a.priority = ANY(${f.priority}::text[])`);
  if (f.kind?.length) where.push(sql`a.kind = ANY(${f.kind}::text[])`);
  if (f.deviceIds) where.push(sql`a.device_id = ANY(${f.deviceIds}::int4[])`);
  if (f.patientId !== undefined) where.push(sql`en.patient_id = ${f.patientId}`);
  if (f.ids) where.push(sql`a.id = ANY(${f.ids}::int8[])`);
  if (f.afterId !== undefined) where.push(f.newestFirst ? sql`a.id < ${f.afterId}::int8` : sql`a.id > ${f.afterId}::int8`);
  const res = await sql<StoredAlert>`
    SELECT ${alertColumns}
    FROM alerts a
    JOIN devices d ON d.id = a.device_id
    JOIN sites s ON s.id = a.site_id
    LEFT JOIN enrolments en ON en.device_id = a.device_id
    LEFT JOIN users u ON u.id = a.assignee_id
    WHERE ${sql.join(where, sql` AND `)}
    ORDER BY a.id ${f.newestFirst ? sql`DESC` : sql`ASC`}
    LIMIT ${f.limit}`.execute(db);
  return res.rows;
}

export async function getAlert(db: Executor, id: number): Promise<StoredAlert | null> {
  const rows = await listAlerts(db, { siteIds: null, ids: [id], limit: 1 });
  return rows[0] ?? null;
}

export interface AlertEventView {
  readonly cursor: number;
  readonly alert_id: number;
  readonly at: Date;
  readonly type: string;
  readonly actor: string | null;
  readonly data: Record<string, unknown>;
}

export async function alertHistory(db: Executor, alertId: number): Promise<AlertEventView[]> {
  const res = await sql<AlertEventView>`
    SELECT e.cursor, e.alert_id, e.at, e.type, u.email AS actor, e.data
    FROM alert_events e LEFT JOIN users u ON u.id = e.actor_id
    WHERE e.alert_id = ${alertId}
    ORDER BY e.cursor`.execute(db);
  return res.rows;
}

export interface StreamEvent {
  readonly cursor: number;
  readonly at: Date;
  readonly type: string;
  readonly actor: string | null;
  readonly alert: StoredAlert;
}

/** Events after `cursor` of alerts of the given sites (all when null), oldest first, with each alert as it is now. */
export async function eventsAfter(db: Executor, cursor: number, siteIds: readonly number[] | null, limit: number): Promise<StreamEvent[]> {
  const res = await sql<StoredAlert & { e_cursor: number; e_at: Date; e_type: string; e_actor: string | null }>`
    SELECT e.cursor AS e_cursor, e.at AS e_at, e.type AS e_type, ua.email AS e_actor, ${alertColumns}
    FROM alert_events e
    JOIN alerts a ON a.id = e.alert_id
    JOIN devices d ON d.id = a.device_id
    JOIN sites s ON s.id = a.site_id
    LEFT JOIN enrolments en ON en.device_id = a.device_id
    LEFT JOIN users u ON u.id = a.assignee_id
    LEFT JOIN users ua ON ua.id = e.actor_id
    WHERE e.cursor > ${cursor}::int8 ${siteIds ? sql`AND a.site_id = ANY(${siteIds}::int4[])` : sql``}
    ORDER BY e.cursor
    LIMIT ${limit}`.execute(db);
  return res.rows.map(({ e_cursor, e_at, e_type, e_actor, ...alert }) => ({ cursor: e_cursor, at: e_at, type: e_type, actor: e_actor, alert }));
}

/** The unresolved alerts of the sites and the newest cursor, read from one snapshot of the database. */
export async function openAlertsSnapshot(db: Db, siteIds: readonly number[] | null): Promise<{ alerts: StoredAlert[]; cursor: number }> {
  return db.transaction().setIsolationLevel('repeatable read').execute(async (trx) => {
    const c = await sql<{ cursor: number | null }>`SELECT max(cursor) AS cursor FROM alert_events`.execute(trx);
    const alerts = await listAlerts(trx, { siteIds, status: ['open', 'acknowledged'], limit: 100_000 });
    return { alerts, cursor: c.rows[0]?.cursor ?? 0 };
  });
}

/** The unresolved alerts counted by priority and status (the partial index of open alerts). */
export async function unresolvedAlertCounts(db: Executor): Promise<Array<{ priority: string; status: string; count: number }>> {
  const res = await sql<{ priority: string; status: string; count: number }>`
    SELECT priority, status, count(*)::int AS count FROM alerts WHERE status <> 'resolved' GROUP BY priority, status`
    .execute(db);
  return res.rows;
}

/** The newest alert event's cursor (0 with none). */
export async function lastAlertEventCursor(db: Db): Promise<number> {
  const res = await db.selectFrom('alert_events').select((eb) => eb.fn.max('cursor').as('max')).executeTakeFirst();
  return Number(res?.max ?? 0);
}
