import { sql, type Kysely } from 'kysely';

// Forward-only. Never import application code here: a migration must keep
// meaning what it meant the day it ran.

export async function up(db: Kysely<unknown>): Promise<void> {
  // Sign-in limits live here rather than in each process's memory, so every instance
  // counts against the same budget. One row per account (normalised email) and per
  // client address; `times` holds the attempts still inside the window, oldest first,
  // each reserved before its password is hashed. `last_allowed` is the decision of
  // the latest reservation, so the upsert can count, decide and report in one statement.
  await db.schema
    .createTable('sign_in_attempts')
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind IN ('account', 'address')`))
    .addColumn('key', 'text', (c) => c.notNull().check(sql`length(key) <= 300`))
    .addColumn('times', sql`timestamptz[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('last_allowed', 'boolean', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('sign_in_attempts_pkey', ['kind', 'key'])
    .execute();
  // Rows idle for longer than the window are swept by age.
  await db.schema.createIndex('sign_in_attempts_updated_idx').on('sign_in_attempts').column('updated_at').execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
