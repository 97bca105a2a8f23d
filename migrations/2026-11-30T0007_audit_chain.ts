import { sql, type Kysely } from 'kysely';

// Forward-only. Never import application code here: a migration must keep
// meaning what it meant the day it ran.
//
// A hash chain over audit_log: each row carries prev_hash (the hash of the row before
// it, 32 zero bytes for the first) and hash = sha256(prev_hash || content), where
// content encodes every column of the row. Someone with superuser rights can bypass
// the append-only triggers; an edited, deleted or inserted row then no longer fits the
// chain, and `npm run admin -- audit verify` names the first row that does not.
//
// The chain must be linear, so a BEFORE INSERT trigger takes a transaction-level
// advisory lock, gives the row the next id only then (ids follow chain order) and reads
// the newest row's hash. The lock is held until the inserting transaction ends: audit
// writes are serialised, each waiting for the previous one's commit (about one commit
// latency, a millisecond or two, per audit row). The encoding is duplicated in
// src/admin/audit-verify.ts, which recomputes it independently.

/** Arbitrary but fixed: the (class, object) pair of the advisory lock. */
const LOCK = sql.raw('20261130, 7');

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE audit_log ADD COLUMN prev_hash bytea, ADD COLUMN hash bytea`.execute(db);

  // One field: '-' for NULL, else its UTF-8 length, ':' and the text (unambiguous).
  await sql`
    CREATE FUNCTION audit_log_field(v text) RETURNS text IMMUTABLE LANGUAGE sql AS $$
      SELECT CASE WHEN v IS NULL THEN '-' ELSE octet_length(convert_to(v, 'UTF8'))::text || ':' || v END
    $$`.execute(db);
  await sql`
    CREATE FUNCTION audit_log_hash(prev bytea, r audit_log) RETURNS bytea STABLE LANGUAGE sql AS $$
      SELECT sha256(prev || convert_to(concat_ws(',',
        audit_log_field(r.id::text),
        audit_log_field(to_char(r.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')),
        audit_log_field(r.user_id::text),
        audit_log_field(r.role),
        audit_log_field(r.action),
        audit_log_field(r.route),
        audit_log_field(r.patient_id::text),
        audit_log_field(r.device_id::text),
        audit_log_field(r.detail::text)), 'UTF8'))
    $$`.execute(db);

  // Backfill in id order, with the UPDATE refusal lifted for this transaction only.
  await sql`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete`.execute(db);
  await sql`
    DO $$
    DECLARE
      r audit_log;
      prev bytea := '\\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
    BEGIN
      LOCK TABLE audit_log IN EXCLUSIVE MODE;
      FOR r IN SELECT * FROM audit_log ORDER BY id LOOP
        UPDATE audit_log SET prev_hash = prev, hash = audit_log_hash(prev, r) WHERE id = r.id;
        prev := audit_log_hash(prev, r);
      END LOOP;
    END
    $$`.execute(db);
  await sql`ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_delete`.execute(db);
  await sql`ALTER TABLE audit_log ALTER COLUMN prev_hash SET NOT NULL, ALTER COLUMN hash SET NOT NULL`.execute(db);
  // The trigger assigns ids, after taking the lock, so that id order is chain order.
  await sql`ALTER TABLE audit_log ALTER COLUMN id DROP DEFAULT`.execute(db);

  await sql`
    CREATE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      prev bytea;
    BEGIN
      -- Under REPEATABLE READ the newest row could be invisible to this snapshot, and
      -- the chain would fork: refuse rather than write a row that fails verification.
      IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'audit_log rows must be written in READ COMMITTED transactions (this one is %)',
          current_setting('transaction_isolation');
      END IF;
      PERFORM pg_advisory_xact_lock(${LOCK});
      NEW.id := nextval(pg_get_serial_sequence('audit_log', 'id'));
      -- A statement after the lock sees every row committed before it was granted.
      SELECT hash INTO prev FROM audit_log ORDER BY id DESC LIMIT 1;
      NEW.prev_hash := coalesce(prev, '\\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
      NEW.hash := audit_log_hash(NEW.prev_hash, NEW);
      RETURN NEW;
    END
    $$`.execute(db);
  await sql`
    CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_chain()`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
