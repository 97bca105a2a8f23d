import { sql } from 'kysely';
import type { Db } from './db.ts';

// The audit log's two queries: append a row, and read the hash chain a page at a time.

export interface AuditRow {
  readonly user_id: number | null;
  readonly role: string | null;
  readonly action: string;
  readonly route: string | null;
  readonly patient_id: number | null;
  readonly device_id: number | null;
  /** JSON text. */
  readonly detail: string;
}

export async function insertAudit(db: Db, row: AuditRow): Promise<void> {
  await db.insertInto('audit_log').values(row).execute();
}

export interface ChainRow {
  id: number;
  prev_hash: Buffer | null;
  hash: Buffer | null;
  fields: Array<string | null>;
}

/** The rows after `afterId`, each with the fields the chain trigger hashes, as text. */
export async function auditChainPage(db: Db, afterId: number, size: number): Promise<ChainRow[]> {
  const res = await sql<{ id: number; prev_hash: Buffer | null; hash: Buffer | null; f: Array<string | null> }>`
    SELECT id, prev_hash, hash, ARRAY[
      id::text, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), user_id::text, role, action, route,
      patient_id::text, device_id::text, detail::text] AS f
    FROM audit_log WHERE id > ${afterId} ORDER BY id LIMIT ${size}`.execute(db);
  return res.rows.map((r) => ({ id: r.id, prev_hash: r.prev_hash, hash: r.hash, fields: r.f }));
}
