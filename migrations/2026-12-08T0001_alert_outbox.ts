import { sql, type Kysely } from 'kysely';

// Forward-only. Never import application code here: a migration must keep
// meaning what it meant the day it ran.

export async function up(db: Kysely<unknown>): Promise<void> {
  // The engine's alert decisions, written in the same statement as the readings that raised
  // them (one row per group commit, its decisions in order) and applied to alerts afterwards
  // by one applier at a time, under the alert events' lock. A gateway's ack waits for its
  // readings' commit only; a crash between the two leaves the row here for the next applier
  // of any instance. Rows are deleted as they are applied; a row that keeps failing on its
  // own is left aside after a number of attempts (with its last error) for an operator, so
  // that it cannot hold back every alert after it.
  await sql`
    CREATE TABLE alert_outbox (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      decisions jsonb NOT NULL,
      attempts integer NOT NULL DEFAULT 0,
      last_error text
    )`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
