import { sql, type Kysely } from 'kysely';

// Forward-only. Never import application code here: a migration must keep
// meaning what it meant the day it ran.

export async function up(db: Kysely<unknown>): Promise<void> {
  // The heart-failure score now scales each input by the patient's own spread and weighs one
  // budget per sensor, so overrides of the old population scales, per-input weights and score
  // levels mean nothing any more. Without this, an override holding one of them would fail to
  // merge and the whole override (its valid keys too) would be ignored.
  await sql`
    UPDATE engine_settings
    SET settings = settings #- '{hf,scales}' #- '{hf,weights}' #- '{hf,mediumLevel}'
      #- '{hf,highLevel}' #- '{hf,recoveryLevel}'
    WHERE settings ? 'hf'`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
