import { sql, type Kysely } from 'kysely';

// Forward-only. Never import application code here: a migration must keep
// meaning what it meant the day it ran.

export async function up(db: Kysely<unknown>): Promise<void> {
  // Who took each step (the history has it too; these make the row self-describing),
  // and when the alert was last escalated: the escalation clock restarts from it, so
  // a restarted service carries on from the database instead of from memory.
  await sql`
    ALTER TABLE alerts
      ADD COLUMN acknowledged_by integer REFERENCES users(id),
      ADD COLUMN resolved_by integer REFERENCES users(id),
      ADD COLUMN escalated_at timestamptz,
      ADD CONSTRAINT alerts_assignee_fkey FOREIGN KEY (assignee_id) REFERENCES users(id),
      ADD CONSTRAINT alerts_resolution_check CHECK (
        resolution IS NULL OR resolution IN ('actioned', 'not_actionable', 'patient_contacted', 'duplicate', 'other'))`.execute(db);
  // The escalation check looks only at open high alerts: a small partial index.
  await sql`CREATE INDEX alerts_escalation_idx ON alerts (id) WHERE status = 'open' AND priority = 'high'`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
