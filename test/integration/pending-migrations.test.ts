import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { createMigrator, pendingMigrations } from '../../src/store/migrate.ts';

// /health/ready answers 503 while migrations are pending: the folder's names against the
// table of applied ones, the same answer as Kysely's Migrator gives.

let tdb: TestDatabase;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
});
afterAll(async () => {
  await tdb?.drop();
});

const migratorSays = async () => (await createMigrator(tdb.db).getMigrations()).filter((m) => m.executedAt === undefined).map((m) => m.name);

describe('pendingMigrations', () => {
  it('is empty on a migrated database, as the Migrator says', async () => {
    expect(await pendingMigrations(tdb.db)).toEqual([]);
    expect(await migratorSays()).toEqual([]);
  });

  it('names a migration whose row is missing, and every one when the table is missing', async () => {
    const all = (await createMigrator(tdb.db).getMigrations()).map((m) => m.name);
    const last = all.at(-1)!;
    await sql`DELETE FROM kysely_migration WHERE name = ${last}`.execute(tdb.db);
    expect(await pendingMigrations(tdb.db)).toEqual([last]);
    expect(await pendingMigrations(tdb.db)).toEqual(await migratorSays());
    await sql`ALTER TABLE kysely_migration RENAME TO kysely_migration_away`.execute(tdb.db);
    expect(await pendingMigrations(tdb.db)).toEqual(all);
    await sql`ALTER TABLE kysely_migration_away RENAME TO kysely_migration`.execute(tdb.db);
    await sql`INSERT INTO kysely_migration (name, timestamp) VALUES (${last}, ${new Date().toISOString()})`.execute(tdb.db);
    expect(await pendingMigrations(tdb.db)).toEqual([]);
  });
});
