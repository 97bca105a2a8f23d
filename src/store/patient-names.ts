import { sql } from 'kysely';
import type { Db } from './db.ts';

// SQL of the name index: each patient's name-word tokens (keyed blind indexes made by the
// vault, never words) and which version of the word rules they were made by.

type Executor = Pick<Db, 'executeQuery' | 'getExecutor'>;

/** Set a patient's tokens to exactly these, and mark them made by `version` (one statement). */
export async function storeNameTokens(trx: Executor, patientId: number, tokens: readonly string[], version: number): Promise<void> {
  // The kept tokens are not deleted, so the insert's ON CONFLICT never meets a row this
  // same statement deletes.
  await sql`
    WITH gone AS (
      DELETE FROM patient_name_tokens WHERE patient_id = ${patientId} AND NOT (token = ANY(${tokens}::text[]))
    ), added AS (
      INSERT INTO patient_name_tokens (token, patient_id)
      SELECT t, ${patientId}::int FROM unnest(${tokens}::text[]) AS t ON CONFLICT DO NOTHING
    )
    UPDATE patients SET name_index_version = ${version} WHERE id = ${patientId}`.execute(trx);
}

export interface UnindexedPatient {
  readonly id: number;
  readonly family_name_sealed: string;
  readonly given_name_sealed: string;
}

/**
 * Sealed patients whose tokens are missing or made by older word rules, locked until the
 * caller's transaction ends; rows another indexer holds are skipped.
 */
export async function patientsToIndex(trx: Executor, version: number, limit: number): Promise<UnindexedPatient[]> {
  const res = await sql<UnindexedPatient>`
    SELECT id, family_name_sealed, given_name_sealed FROM patients
    WHERE (name_index_version IS NULL OR name_index_version < ${version})
      AND family_name_sealed IS NOT NULL AND given_name_sealed IS NOT NULL
    ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED`.execute(trx);
  return res.rows;
}

/** How many sealed patients are not indexed by `version` yet. */
export async function unindexedCount(db: Executor, version: number): Promise<number> {
  const res = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM patients
    WHERE (name_index_version IS NULL OR name_index_version < ${version}) AND family_name_sealed IS NOT NULL`.execute(db);
  return res.rows[0]?.n ?? 0;
}
