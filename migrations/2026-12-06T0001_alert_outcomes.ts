import { sql, type Kysely } from 'kysely';

// Forward-only. Never import application code here: a migration must keep
// meaning what it meant the day it ran.

export async function up(db: Kysely<unknown>): Promise<void> {
  // What a resolved alert turned out to be (the clinical ground truth), beside the contract's
  // resolution. Often known days after resolving, so it is set with the resolution or later;
  // never on an alert that is not resolved. NULL until someone records it.
  await sql`
    ALTER TABLE alerts
      ADD COLUMN outcome text,
      ADD CONSTRAINT alerts_outcome_check CHECK (
        outcome IS NULL OR outcome IN ('confirmed_treated', 'confirmed_no_change', 'other_cause', 'non_adherence',
                                       'known_condition', 'artefact', 'no_action_needed')),
      ADD CONSTRAINT alerts_outcome_resolved CHECK (outcome IS NULL OR status = 'resolved')`.execute(db);
  // The outcome report reads a site's alerts by when they were raised.
  await sql`CREATE INDEX alerts_site_raised_idx ON alerts (site_id, raised_at)`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
