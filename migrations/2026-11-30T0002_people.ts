import { sql, type Kysely } from 'kysely';

// Forward-only. Never import application code here: a migration must keep
// meaning what it meant the day it ran.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    // Stored lower-cased, so uniqueness and sign-in ignore case.
    .addColumn('email', 'text', (c) => c.notNull().unique().check(sql`email = lower(email) AND length(email) BETWEEN 3 AND 254`))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role IN ('clinician', 'analyst', 'admin')`))
    // scrypt$N$r$p$salt$hash: the parameters travel with the hash so they can be raised later.
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('disabled_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('user_sites')
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('site_id', 'integer', (c) => c.notNull().references('sites.id'))
    .addPrimaryKeyConstraint('user_sites_pkey', ['user_id', 'site_id'])
    .execute();

  await db.schema
    .createTable('sessions')
    // SHA-256 of a 256-bit random token: the token itself is only ever in the cookie.
    .addColumn('token_hash', 'bytea', (c) => c.primaryKey())
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // Absolute end of the session, however active it is.
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sessions_user_idx').on('sessions').column('user_id').execute();
  await db.schema.createIndex('sessions_expires_idx').on('sessions').column('expires_at').execute();

  // Who looked at what. Patient and device are internal ids, never serials or
  // identifiers, and carry no foreign keys: the trail outlives what it mentions.
  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('user_id', 'integer', (c) => c.references('users.id'))
    .addColumn('role', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('route', 'text')
    .addColumn('patient_id', 'integer')
    .addColumn('device_id', 'integer')
    .addColumn('detail', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();
  await db.schema.createIndex('audit_log_at_idx').on('audit_log').column('at').execute();
  await db.schema.createIndex('audit_log_patient_idx').on('audit_log').columns(['patient_id', 'at']).execute();

  // Append-only: the service's own role owns the table, so privileges alone cannot
  // stop it; these triggers refuse UPDATE, DELETE and TRUNCATE from anyone.
  await sql`
    CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
    END
    $$`.execute(db);
  await sql`
    CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()`.execute(db);
  await sql`
    CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
