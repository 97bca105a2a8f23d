import { sql } from 'kysely';
import type { Db } from './db.ts';
import type { AlertDecision } from '../engine/index.ts';

// SQL of known conditions: clinicians' statements that a patient has a condition of one
// alert kind (with a reason, sealed, and an expiry), and the weekly digests of the alerts
// they folded instead of opening (src/store/engine-effects.ts).

type Executor = Pick<Db, 'executeQuery' | 'getExecutor'>;

/** Alert kinds a condition may fold: never VT/VF, shocks or heart failure. */
export const FOLDABLE_KINDS = ['lead_integrity', 'capture_threshold', 'battery', 'af_burden', 'af_fast_ventricular_rate', 'crt_pacing_loss', 'connectivity_loss'] as const;
export type FoldableKind = (typeof FOLDABLE_KINDS)[number];

/**
 * Fold a decision that would open an alert into its condition's weekly digest, when the
 * device's patient has a condition of that kind in force at the trigger's time and no alert
 * of the kind is open for the device (an open one is updated as usual). Answers whether it
 * was folded. Idempotent: a trigger counted before (a replay) is not counted again.
 */
export async function foldIntoDigest(trx: Executor, deviceId: number, d: AlertDecision): Promise<boolean> {
  if (!(FOLDABLE_KINDS as readonly string[]).includes(d.kind)) return false;
  const at = sql`to_timestamp(${d.trigger.at}::float8 / 1000)`;
  const found = await sql<{ id: number }>`
    SELECT k.id FROM known_conditions k JOIN enrolments e ON e.patient_id = k.patient_id
    WHERE e.device_id = ${deviceId} AND k.kind = ${d.kind} AND k.ended_at IS NULL
      AND k.starts_at <= ${at} AND k.expires_at > ${at}
      AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.device_id = ${deviceId} AND a.kind = ${d.kind} AND a.status <> 'resolved')
    ORDER BY k.id LIMIT 1`.execute(trx);
  const condition = found.rows[0]?.id;
  if (condition === undefined) return false;
  await sql`
    WITH t AS (
      INSERT INTO condition_digest_triggers (condition_id, device_id, seq) VALUES (${condition}, ${deviceId}, ${d.trigger.seq}::int8)
      ON CONFLICT DO NOTHING RETURNING 1
    )
    INSERT INTO condition_digests (condition_id, week, occurrences, first_at, last_at, summary, priority)
    SELECT ${condition}, date_trunc('week', ${at} AT TIME ZONE 'UTC')::date, 1, ${at}, ${at}, ${d.summary}, ${d.priority} FROM t
    ON CONFLICT (condition_id, week) DO UPDATE SET
      occurrences = condition_digests.occurrences + 1,
      first_at = least(condition_digests.first_at, excluded.first_at),
      last_at = greatest(condition_digests.last_at, excluded.last_at),
      summary = CASE WHEN excluded.last_at >= condition_digests.last_at THEN excluded.summary ELSE condition_digests.summary END,
      priority = CASE WHEN array_position(ARRAY['low','medium','high'], excluded.priority) > array_position(ARRAY['low','medium','high'], condition_digests.priority)
                      THEN excluded.priority ELSE condition_digests.priority END`.execute(trx);
  return true;
}

export interface NewCondition {
  readonly patientId: number;
  readonly kind: FoldableKind;
  readonly reasonSealed: string;
  readonly startsAt: Date;
  readonly expiresAt: Date;
  readonly createdBy: number;
}

export async function insertCondition(db: Executor, c: NewCondition): Promise<number> {
  const res = await sql<{ id: number }>`
    INSERT INTO known_conditions (patient_id, kind, reason_sealed, starts_at, expires_at, created_by)
    VALUES (${c.patientId}, ${c.kind}, ${c.reasonSealed}, ${c.startsAt}, ${c.expiresAt}, ${c.createdBy}) RETURNING id`.execute(db);
  return res.rows[0]!.id;
}

/** End a condition of the patient now; false when there is none in force with that id. */
export async function endCondition(db: Executor, patientId: number, id: number, by: number): Promise<boolean> {
  const res = await sql`
    UPDATE known_conditions SET ended_at = now(), ended_by = ${by}
    WHERE id = ${id} AND patient_id = ${patientId} AND ended_at IS NULL`.execute(db);
  return Number(res.numAffectedRows ?? 0) === 1;
}

export interface StoredCondition {
  readonly id: number;
  readonly kind: string;
  readonly reason_sealed: string;
  readonly starts_at: Date;
  readonly expires_at: Date;
  readonly ended_at: Date | null;
  readonly created_by: string;
  readonly digests: Array<{ week: string; occurrences: number; first_at: string; last_at: string; summary: string; priority: string }>;
}

/** The patient's conditions, newest first, with their weekly digests (newest week first). */
export async function conditionsOf(db: Executor, patientId: number): Promise<StoredCondition[]> {
  const res = await sql<StoredCondition>`
    SELECT k.id, k.kind, k.reason_sealed, k.starts_at, k.expires_at, k.ended_at, u.email AS created_by,
           coalesce((SELECT json_agg(json_build_object('week', to_char(g.week, 'YYYY-MM-DD'), 'occurrences', g.occurrences,
                       'first_at', g.first_at, 'last_at', g.last_at, 'summary', g.summary, 'priority', g.priority) ORDER BY g.week DESC)
                     FROM condition_digests g WHERE g.condition_id = k.id), '[]') AS digests
    FROM known_conditions k JOIN users u ON u.id = k.created_by
    WHERE k.patient_id = ${patientId} ORDER BY k.id DESC`.execute(db);
  return res.rows;
}
