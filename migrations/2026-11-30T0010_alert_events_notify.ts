import { sql, type Kysely } from 'kysely';

// Forward-only. Never import application code here: a migration must keep
// meaning what it meant the day it ran.

export async function up(db: Kysely<unknown>): Promise<void> {
  // Every instance's live streams hear of alert changes committed by any other at once
  // (NOTIFY is delivered at commit; one per statement, and PostgreSQL folds repeats within a
  // transaction), instead of at their next poll.
  await sql`
    CREATE FUNCTION notify_alert_events() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('alert_events', '');
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER alert_events_notify AFTER INSERT ON alert_events
    FOR EACH STATEMENT EXECUTE FUNCTION notify_alert_events()`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
