import type { Kysely } from 'kysely';

// Forward-only. Never import application code here: a migration must keep
// meaning what it meant the day it ran.

export async function up(db: Kysely<unknown>): Promise<void> {
  // A Low from a device with no learned thoracic impedance, or a single sensor, is no
  // reassurance, and the patient pages must say so. A flag beside the status rather than a
  // fourth status: risk_changes and the export keep their Low/Medium/High contract. Existing
  // rows read as sufficient until their device's next reading rewrites them.
  await db.schema
    .alterTable('device_risk')
    .addColumn('insufficient_data', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
