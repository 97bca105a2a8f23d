import { sql, type RawBuilder } from 'kysely';
import type { DecisionRow, Executor } from './engine-effects.ts';

// The alert outbox (migration 2026-12-08T0001): the engine's decisions of one group commit,
// written by the readings' own statement as one row, in order, and taken by the applier
// (scoring/alert-applier.ts), which applies them to alerts under the alert events' lock.

/** A row's decisions may fail to apply this many times before the applier leaves it aside. */
export const OUTBOX_MAX_ATTEMPTS = 10;

/**
 * A WITH item of the readings' statement (store/readings.ts writeReadings): the decisions
 * whose trigger reading is in `stored` (the keys that statement inserted: a resend's
 * decisions were applied with its first copy), as one row, in their order; no row when none
 * is kept.
 */
export function outboxItem(decisions: readonly DecisionRow[], stored: RawBuilder<unknown>): RawBuilder<unknown> {
  const col = <T>(f: (r: DecisionRow, i: number) => T) => decisions.map(f);
  return sql`
    ob AS (
      INSERT INTO alert_outbox (decisions)
      SELECT jsonb_agg(x.decision ORDER BY x.ord)
      FROM unnest(${col((_, i) => i)}::int4[], ${col((r) => r.deviceId)}::int4[], ${col((r) => r.decision.trigger.seq)}::int8[],
                  ${col((r) => JSON.stringify(r))}::jsonb[]) AS x(ord, device_id, seq, decision)
      JOIN ${stored} f ON f.device_id = x.device_id AND f.seq = x.seq
      HAVING count(*) > 0
    )`;
}

export interface OutboxRow {
  readonly id: number;
  readonly decisions: DecisionRow[];
  /** Seconds since its readings committed. */
  readonly ageSeconds: number;
}

/**
 * Take (delete) the oldest rows, or the one row `id`, in id order. The caller holds the alert
 * events' lock and applies them in the same transaction: a rollback puts them back.
 */
export async function takeOutbox(trx: Executor, opts: { readonly limit: number; readonly id?: number }): Promise<OutboxRow[]> {
  const res = await sql<{ id: string; decisions: DecisionRow[]; age: number }>`
    DELETE FROM alert_outbox WHERE id IN (
      SELECT id FROM alert_outbox
      WHERE attempts < ${OUTBOX_MAX_ATTEMPTS} ${opts.id === undefined ? sql`` : sql`AND id = ${opts.id}`}
      ORDER BY id LIMIT ${opts.limit})
    RETURNING id, decisions, extract(epoch FROM clock_timestamp() - created_at)::float8 AS age`.execute(trx);
  return res.rows
    .map((r) => ({ id: Number(r.id), decisions: r.decisions, ageSeconds: r.age }))
    .sort((a, b) => a.id - b.id);
}

/** The ids of the oldest rows still to apply. */
export async function outboxIds(db: Executor, limit: number): Promise<number[]> {
  const res = await sql<{ id: string }>`
    SELECT id FROM alert_outbox WHERE attempts < ${OUTBOX_MAX_ATTEMPTS} ORDER BY id LIMIT ${limit}`.execute(db);
  return res.rows.map((r) => Number(r.id));
}

/** A row that failed to apply on its own: counted, with the error; returns whether it is now left aside. */
export async function outboxFailed(db: Executor, id: number, message: string): Promise<boolean> {
  const res = await sql<{ attempts: number }>`
    UPDATE alert_outbox SET attempts = attempts + 1, last_error = ${message.slice(0, 1000)}
    WHERE id = ${id} RETURNING attempts`.execute(db);
  return (res.rows[0]?.attempts ?? 0) >= OUTBOX_MAX_ATTEMPTS;
}

export interface OutboxEntry {
  readonly id: number;
  readonly createdAt: Date;
  readonly decisions: number;
  readonly attempts: number;
  readonly lastError: string | null;
}

/** The rows waiting, oldest first (those left aside among them), for an operator. */
export async function listOutbox(db: Executor, limit: number): Promise<OutboxEntry[]> {
  const res = await sql<{ id: string; created_at: Date; decisions: number; attempts: number; last_error: string | null }>`
    SELECT id, created_at, jsonb_array_length(decisions) AS decisions, attempts, last_error
    FROM alert_outbox ORDER BY id LIMIT ${limit}`.execute(db);
  return res.rows.map((r) => ({ id: Number(r.id), createdAt: r.created_at, decisions: r.decisions, attempts: r.attempts, lastError: r.last_error }));
}

/** Rows left aside (or one of them) given their attempts back: the next sweep applies them. Returns how many. */
export async function retryOutbox(db: Executor, id: number | null): Promise<number> {
  const res = await sql`
    UPDATE alert_outbox SET attempts = 0
    WHERE attempts >= ${OUTBOX_MAX_ATTEMPTS} ${id === null ? sql`` : sql`AND id = ${id}`}`.execute(db);
  return Number(res.numAffectedRows ?? 0);
}
