import { sql } from 'kysely';
import type { Db } from './db.ts';
import type { AlertRow } from '../alerts/present.ts';

// Reads of alerts and their history.

type Executor = Pick<Db, 'executeQuery' | 'getExecutor'>;

export interface AlertFilter {
  /** Sites the caller may see; null = every site (admins). */
  readonly siteIds: readonly number[] | null;
  readonly status?: readonly string[];
  readonly priority?: readonly string[];
  readonly kind?: readonly string[];
  readonly deviceIds?: readonly number[];
  readonly ids?: readonly number[];
  /** Keyset pagination: alerts with a larger id. */
  readonly afterId?: number;
  readonly limit: number;
}

const alertColumns = sql`
  a.id, d.serial, s.code AS site, NULL::text AS patient, a.kind, a.priority, a.status,
  a.opened_at, a.last_seen_at, a.raised_at, a.occurrences, a.trigger, a.score, a.summary, a.evidence,
  u.email AS assignee, a.snoozed_until, a.escalation_level, a.device_id, a.site_id`;

export type StoredAlert = AlertRow & { device_id: number; site_id: number };

export async function listAlerts(db: Executor, f: AlertFilter): Promise<StoredAlert[]> {
  const where = [sql`true`];
  if (f.siteIds) where.push(sql`a.site_id = ANY(${f.siteIds}::int4[])`);
  if (f.status?.length) where.push(sql`a.status = ANY(${f.status}::text[])`);
  if (f.priority?.length) where.push(sql`a.priority = ANY(${f.priority}::text[])`);
  if (f.kind?.length) where.push(sql`a.kind = ANY(${f.kind}::text[])`);
  if (f.deviceIds) where.push(sql`a.device_id = ANY(${f.deviceIds}::int4[])`);
  if (f.ids) where.push(sql`a.id = ANY(${f.ids}::int8[])`);
  if (f.afterId !== undefined) where.push(sql`a.id > ${f.afterId}::int8`);
  const res = await sql<StoredAlert>`
    SELECT ${alertColumns}
    FROM alerts a
    JOIN devices d ON d.id = a.device_id
    JOIN sites s ON s.id = a.site_id
    LEFT JOIN users u ON u.id = a.assignee_id
    WHERE ${sql.join(where, sql` AND `)}
    ORDER BY a.id
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
