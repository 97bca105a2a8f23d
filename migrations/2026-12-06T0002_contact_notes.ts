import { sql, type Kysely } from 'kysely';

// Forward-only. Never import application code here: a migration must keep
// meaning what it meant the day it ran.

export async function up(db: Kysely<unknown>): Promise<void> {
  // A clinician's note of a contact with a patient outside any alert (a phone call, a clinic
  // visit, a message). The text is free and may name anyone: sealed like a comment
  // (src/crypto), never exported.
  await db.schema
    .createTable('contact_notes')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('patient_id', 'integer', (c) => c.notNull().references('patients.id'))
    .addColumn('author_id', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind IN ('phone_call', 'clinic_visit', 'message', 'other')`))
    .addColumn('contacted_at', 'timestamptz', (c) => c.notNull())
    .addColumn('text_sealed', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('contact_notes_patient_idx').on('contact_notes').columns(['patient_id', 'contacted_at desc', 'id desc']).execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
