import { sql } from 'kysely';
import type { Db } from './db.ts';
import type { SealedPatientColumns } from './patients.ts';

// SQL of sealing what was written before encryption at rest: patients' plain identifiers
// and alert comments. Each batch is one transaction; rows are locked and skipped by a
// concurrent sealer (another instance starting), so two never seal the same row.

type Executor = Pick<Db, 'executeQuery' | 'getExecutor'>;

export interface PlainPatient {
  readonly id: number;
  readonly family_name: string;
  readonly given_name: string;
  readonly nhs_number: string | null;
  readonly date_of_birth: string;
}

export async function plainPatients(trx: Executor, limit: number): Promise<PlainPatient[]> {
  const res = await sql<PlainPatient>`
    SELECT id, family_name, given_name, nhs_number, to_char(date_of_birth, 'YYYY-MM-DD') AS date_of_birth
    FROM patients WHERE family_name IS NOT NULL ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED`.execute(trx);
  return res.rows;
}

/** Replace a patient's plain identifiers by sealed ones (the plain columns emptied). */
export async function storeSealedPatient(trx: Executor, id: number, c: SealedPatientColumns): Promise<void> {
  await sql`
    UPDATE patients SET data_key_id = ${c.data_key_id}, family_name_sealed = ${c.family_name_sealed},
      given_name_sealed = ${c.given_name_sealed}, nhs_number_sealed = ${c.nhs_number_sealed},
      nhs_number_index = ${c.nhs_number_index}, date_of_birth_sealed = ${c.date_of_birth_sealed},
      family_name = NULL, given_name = NULL, nhs_number = NULL, date_of_birth = NULL
    WHERE id = ${id}`.execute(trx);
}

export interface CommentRow {
  readonly cursor: number;
  readonly comment: string | null;
  readonly sealed: string | null;
}

/** Alert events holding a plain comment, or (with `notUnder`) a comment sealed under another key than that one. */
export async function commentsToSeal(trx: Executor, limit: number, notUnderKeyId: number | null = null): Promise<CommentRow[]> {
  const pick = notUnderKeyId === null
    ? sql`data ? 'comment'`
    : sql`(data ? 'comment' OR (data ? 'commentSealed' AND split_part(data->>'commentSealed', '.', 2) <> ${String(notUnderKeyId)}))`;
  const res = await sql<CommentRow>`
    SELECT cursor, data->>'comment' AS comment, data->>'commentSealed' AS sealed FROM alert_events
    WHERE ${pick} ORDER BY cursor LIMIT ${limit} FOR UPDATE SKIP LOCKED`.execute(trx);
  return res.rows;
}

/** Swap an event's comment for its sealed form: the one change alert_events' trigger allows, when asked for in the transaction. */
export async function storeSealedComments(trx: Executor, rows: ReadonlyArray<{ cursor: number; sealed: string }>): Promise<void> {
  if (rows.length === 0) return;
  await sql`SELECT set_config('cardiotel.reseal_comments', 'on', true)`.execute(trx);
  await sql`
    UPDATE alert_events e SET data = (e.data - 'comment') || jsonb_build_object('commentSealed', v.sealed)
    FROM unnest(${rows.map((r) => r.cursor)}::int8[], ${rows.map((r) => r.sealed)}::text[]) AS v(cursor, sealed)
    WHERE e.cursor = v.cursor`.execute(trx);
}

export async function countPlain(db: Executor): Promise<{ patients: number; comments: number }> {
  const res = await sql<{ patients: number; comments: number }>`
    SELECT (SELECT count(*)::int FROM patients WHERE family_name IS NOT NULL) AS patients,
           (SELECT count(*)::int FROM alert_events WHERE data ? 'comment') AS comments`.execute(db);
  return res.rows[0]!;
}
