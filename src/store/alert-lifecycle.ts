import { sql, type RawBuilder } from 'kysely';
import type { Db } from './db.ts';
import { lockAlertEvents } from './engine-effects.ts';
import type { AlertStatus, LifecycleEventType } from '../domain/alerts.ts';

// SQL of the alert lifecycle: one transition (the alerts row and its history event, in
// one transaction), the users an alert may be assigned to, and escalation.

type Executor = Pick<Db, 'executeQuery' | 'getExecutor'>;

/** A row of alert_events written here, for the live stream. */
export interface LifecycleEventRow {
  readonly cursor: number;
  readonly alertId: number;
  readonly type: LifecycleEventType;
}

/**
 * Where committed events are published (the app's AlertFeed). Its events are typed
 * loosely here because AlertFeed's row type names only the engine's event types.
 */
export interface AlertEventSink {
  publish(events: readonly { readonly cursor: number; readonly alertId: number; readonly type: string }[]): void;
}

/** The columns one transition sets; `now()` is the transaction's time, the same as its event's. */
export type AlertChange =
  | { readonly kind: 'acknowledge'; readonly userId: number }
  | { readonly kind: 'resolve'; readonly userId: number; readonly resolution: string; readonly outcome: string | null }
  | { readonly kind: 'outcome'; readonly outcome: string }
  | { readonly kind: 'assign'; readonly assigneeId: number | null }
  | { readonly kind: 'snooze'; readonly until: number }
  | { readonly kind: 'comment' };

const ts = (ms: number) => sql`to_timestamp(${ms}::float8 / 1000)`;

function setClause(c: AlertChange): RawBuilder<unknown> {
  switch (c.kind) {
    case 'acknowledge':
      return sql`status = 'acknowledged', acknowledged_at = now(), acknowledged_by = ${c.userId}, updated_at = now()`;
    case 'resolve':
      return sql`status = 'resolved', resolved_at = now(), resolved_by = ${c.userId}, resolution = ${c.resolution}, outcome = ${c.outcome}::text, updated_at = now()`;
    case 'outcome':
      return sql`outcome = ${c.outcome}::text, updated_at = now()`;
    case 'assign':
      return sql`assignee_id = ${c.assigneeId}::int4, updated_at = now()`;
    case 'snooze':
      return sql`snoozed_until = ${ts(c.until)}, updated_at = now()`;
    case 'comment':
      return sql`updated_at = now()`;
  }
}

export interface Transition {
  readonly alertId: number;
  /** The statuses the change may start from: checked again by the UPDATE itself. */
  readonly from: readonly AlertStatus[];
  readonly change: AlertChange;
  readonly event: { readonly type: LifecycleEventType; readonly actorId: number; readonly data: Record<string, unknown> };
}

/**
 * Apply one transition inside the caller's transaction. The UPDATE's WHERE checks the
 * status, so of two clinicians acting at once only one can move the alert: the other's
 * UPDATE matches no row and this returns null (nothing written).
 */
export async function applyTransition(trx: Executor, t: Transition): Promise<LifecycleEventRow | null> {
  await lockAlertEvents(trx);
  const res = await sql<{ cursor: number; alert_id: number }>`
    WITH a AS (
      UPDATE alerts SET ${setClause(t.change)}
      WHERE id = ${t.alertId}::int8 AND status = ANY(${t.from}::text[])
      RETURNING id
    )
    INSERT INTO alert_events (alert_id, type, actor_id, data)
    SELECT id, ${t.event.type}, ${t.event.actorId}, ${JSON.stringify(t.event.data)}::jsonb FROM a
    RETURNING cursor, alert_id`.execute(trx);
  const row = res.rows[0];
  return row ? { cursor: row.cursor, alertId: row.alert_id, type: t.event.type } : null;
}

/** The current status of an alert, or null when there is none. */
export async function alertStatus(db: Executor, alertId: number): Promise<AlertStatus | null> {
  const res = await sql<{ status: AlertStatus }>`SELECT status FROM alerts WHERE id = ${alertId}::int8`.execute(db);
  return res.rows[0]?.status ?? null;
}

export interface Assignee {
  readonly id: number;
  readonly email: string;
}

/** users.id is an int4: a larger id names no one (and must not reach PostgreSQL as one). */
const MAX_USER_ID = 2_147_483_647;

/**
 * The user if an alert of `siteId` may be assigned to them by `caller`: an enabled
 * clinician who is a member of the site (the people who act on its alerts), or the
 * caller themself (an admin taking an alert). Anyone else (an admin, an analyst, another
 * site's clinician, a disabled account, an id that names no one) is null alike, so a
 * refusal tells the caller nothing about who that id is.
 */
export async function eligibleAssignee(db: Executor, userId: number, siteId: number, caller: { readonly id: number }): Promise<Assignee | null> {
  if (!Number.isSafeInteger(userId) || userId <= 0 || userId > MAX_USER_ID) return null;
  const res = await sql<Assignee>`
    SELECT u.id, u.email FROM users u
    WHERE u.id = ${userId}::int4 AND u.disabled_at IS NULL
      AND (u.id = ${caller.id}::int4
           OR (u.role = 'clinician' AND EXISTS (SELECT 1 FROM user_sites m WHERE m.user_id = u.id AND m.site_id = ${siteId})))`.execute(db);
  return res.rows[0] ?? null;
}

/**
 * Escalate every open high alert left unacknowledged for `periodMs` since it was raised
 * or last escalated, and not snoozed at `now`: escalation_level + 1 and an `escalated`
 * event each. Everything is computed from the database, so a restart loses nothing.
 * The next escalation counts from `now`, so a service that was down for three periods
 * escalates once, not three times in a row.
 */
export async function escalateDue(db: Db, now: number, periodMs: number): Promise<LifecycleEventRow[]> {
  return db.transaction().execute(async (trx) => {
    await lockAlertEvents(trx);
    const res = await sql<{ cursor: number; alert_id: number }>`
      WITH due AS (
        UPDATE alerts SET escalation_level = escalation_level + 1, escalated_at = ${ts(now)}, updated_at = now()
        WHERE status = 'open' AND priority = 'high'
          AND coalesce(escalated_at, raised_at) <= ${ts(now - periodMs)}
          AND (snoozed_until IS NULL OR snoozed_until <= ${ts(now)})
        RETURNING id, escalation_level
      )
      INSERT INTO alert_events (alert_id, at, type, actor_id, data)
      SELECT id, ${ts(now)}, 'escalated', NULL, jsonb_build_object('escalationLevel', escalation_level)
      FROM due ORDER BY id
      RETURNING cursor, alert_id`.execute(trx);
    return res.rows
      .map((r) => ({ cursor: r.cursor, alertId: r.alert_id, type: 'escalated' as const }))
      .sort((a, b) => a.cursor - b.cursor);
  });
}
