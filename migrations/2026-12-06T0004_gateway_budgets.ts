import { sql, type Kysely } from 'kysely';

// Forward-only. Never import application code here: a migration must keep
// meaning what it meant the day it ran.

export async function up(db: Kysely<unknown>): Promise<void> {
  // Each gateway's reading budget, shared by every instance of the service: a token
  // bucket refilled on the database's clock when an instance leases from it. Instances
  // lease in chunks and spend them in memory, so a batch rarely costs a round trip here.
  await db.schema
    .createTable('gateway_budgets')
    .addColumn('gateway_id', 'integer', (c) => c.primaryKey().references('gateways.id').onDelete('cascade'))
    .addColumn('tokens', sql`double precision`, (c) => c.notNull().check(sql`tokens >= 0`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`clock_timestamp()`))
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
