import { sql } from 'kysely';
import type { Db } from './db.ts';
import type { ContactKind } from './schema.ts';

// SQL of contact notes: a clinician's note of a phone call, visit or message with a patient,
// outside any alert. The text arrives sealed (src/patients/notes-routes.ts) and leaves sealed.

type Executor = Pick<Db, 'executeQuery' | 'getExecutor'>;

export const CONTACT_KINDS = ['phone_call', 'clinic_visit', 'message', 'other'] as const satisfies readonly ContactKind[];

export interface NewContactNote {
  readonly patientId: number;
  readonly authorId: number;
  readonly kind: ContactKind;
  readonly contactedAt: Date;
  readonly textSealed: string;
}

export async function insertContactNote(db: Executor, n: NewContactNote): Promise<number> {
  const res = await sql<{ id: number }>`
    INSERT INTO contact_notes (patient_id, author_id, kind, contacted_at, text_sealed)
    VALUES (${n.patientId}, ${n.authorId}, ${n.kind}, ${n.contactedAt}, ${n.textSealed}) RETURNING id`.execute(db);
  return res.rows[0]!.id;
}

export interface StoredContactNote {
  readonly id: number;
  readonly kind: ContactKind;
  readonly contacted_at: Date;
  readonly text_sealed: string;
  readonly author_email: string;
  readonly author_name: string;
  readonly created_at: Date;
}

export interface NotesPage {
  readonly ids?: readonly number[];
  /** Keyset: the notes after this one of the patient's, newest first (null when it is not hers). */
  readonly beforeId?: number;
  readonly limit: number;
}

/**
 * The patient's notes, newest contact first (then newest recorded). With `beforeId`, those
 * after that note in the same order; none when it is not one of the patient's.
 */
export async function contactNotesOf(db: Executor, patientId: number, page: NotesPage): Promise<StoredContactNote[]> {
  const where = [sql`n.patient_id = ${patientId}`];
  if (page.ids) where.push(sql`n.id = ANY(${page.ids}::int4[])`);
  if (page.beforeId !== undefined) {
    where.push(sql`(n.contacted_at, n.id) < (SELECT b.contacted_at, b.id FROM contact_notes b WHERE b.id = ${page.beforeId} AND b.patient_id = ${patientId})`);
  }
  const res = await sql<StoredContactNote>`
    SELECT n.id, n.kind, n.contacted_at, n.text_sealed, u.email AS author_email, u.name AS author_name, n.created_at
    FROM contact_notes n JOIN users u ON u.id = n.author_id
    WHERE ${sql.join(where, sql` AND `)}
    ORDER BY n.contacted_at DESC, n.id DESC
    LIMIT ${page.limit}`.execute(db);
  return res.rows;
}
