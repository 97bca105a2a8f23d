import path from 'node:path';
import { promises as fs } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pathToFileURL } from 'node:url';
import {
  DEFAULT_MIGRATION_TABLE, Kysely, Migrator, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, sql,
  type DatabaseConnection, type Driver, type Migration, type MigrationProvider,
} from 'kysely';
import { errorMessage } from '../util/error-message.ts';

// Migrations see the schema as it was when they were written, so they are untyped.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

export function createMigrator(db: AnyDb): Migrator {
  return new Migrator({
    db,
    provider: folderProvider(MIGRATIONS_DIR),
  });
}

/** The migration files of a folder, sorted. */
async function migrationFiles(dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).filter((f) => /\.(ts|js|mjs)$/.test(f) && !f.endsWith('.d.ts')).sort();
}

const migrationName = (file: string) => file.replace(/\.(ts|js|mjs)$/, '');

// Kysely's FileMigrationProvider imports from inside node_modules, where the test
// runner does not compile TypeScript; importing from here works under tsx and vitest.
function folderProvider(dir: string): MigrationProvider {
  return {
    async getMigrations() {
      const out: Record<string, Migration> = {};
      for (const f of await migrationFiles(dir)) {
        out[migrationName(f)] = (await import(pathToFileURL(path.join(dir, f)).href)) as Migration;
      }
      return out;
    },
  };
}

/**
 * The key of kysely's own migration lock on PostgreSQL (its PostgresAdapter): a process
 * still migrating with kysely's session-level lock and this one exclude each other.
 */
const MIGRATION_LOCK = '3853314791062309107';

/**
 * Apply every pending migration; throws with the failing migration's name.
 *
 * All of them run in one transaction that first takes the migration lock for that
 * transaction only (pg_advisory_xact_lock). Kysely's Migrator would take a session-level
 * advisory lock outside its transaction and release it in another statement: through a
 * transaction-pooling PgBouncer those statements may reach different server connections,
 * leaving the lock held by a pooled connection and every later migration waiting for it.
 * One transaction stays on one server connection, and the lock ends with it, even when a
 * migration fails.
 */
export async function migrateToLatest(db: AnyDb): Promise<string[]> {
  const { error, results } = await db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${sql.lit(MIGRATION_LOCK)}::bigint)`.execute(trx);
    const outcome = await trx.getExecutor().provideConnection((connection) =>
      new Migrator({ db: onConnection(connection), provider: folderProvider(MIGRATIONS_DIR), disableTransactions: true }).migrateToLatest(),
    );
    // A failed migration leaves the transaction aborted: roll it back (nothing of it stays).
    if (outcome.error) throw new MigrationFailed(outcome);
    return outcome;
  }).catch((err: unknown) => {
    if (err instanceof MigrationFailed) return err.outcome;
    throw err;
  });
  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    const cause = errorMessage(error);
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${cause}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

type Outcome = Awaited<ReturnType<Migrator['migrateToLatest']>>;

class MigrationFailed extends Error {
  constructor(readonly outcome: Outcome) {
    super('migration failed');
  }
}

/**
 * A Kysely on one connection already inside the caller's transaction, for the Migrator:
 * its lock is a no-op (the caller holds the transaction's lock) and it opens no
 * transaction of its own (disableTransactions).
 */
function onConnection(connection: DatabaseConnection): AnyDb {
  const driver: Driver = {
    init: async () => {},
    acquireConnection: async () => connection,
    beginTransaction: async () => {
      throw new Error('migrations run inside the caller\'s transaction');
    },
    commitTransaction: async () => {},
    rollbackTransaction: async () => {},
    releaseConnection: async () => {},
    destroy: async () => {},
  };
  return new Kysely({
    dialect: {
      createAdapter: () => new HeldLockAdapter(),
      createDriver: () => driver,
      createQueryCompiler: () => new PostgresQueryCompiler(),
      createIntrospector: (k) => new PostgresIntrospector(k),
    },
  });
}

class HeldLockAdapter extends PostgresAdapter {
  override async acquireMigrationLock(): Promise<void> {}
  override async releaseMigrationLock(): Promise<void> {}
}

/**
 * Names of migrations not yet applied (empty when the schema is current). The readiness check
 * asks on every call: the folder's names against Kysely's table of applied migrations, one
 * query (the Migrator's own answer introspects every table of the schema first, about 16 ms
 * of CPU).
 */
export async function pendingMigrations(db: AnyDb, dir = MIGRATIONS_DIR): Promise<string[]> {
  const names = (await migrationFiles(dir)).map(migrationName);
  let applied: Set<string>;
  try {
    const { rows } = await sql<{ name: string }>`SELECT name FROM ${sql.table(DEFAULT_MIGRATION_TABLE)}`.execute(db);
    applied = new Set(rows.map((r) => r.name));
  } catch (err) {
    // No table yet: nothing was ever applied.
    if ((err as { code?: unknown }).code !== UNDEFINED_TABLE) throw err;
    applied = new Set();
  }
  return names.filter((n) => !applied.has(n));
}

/** SQLSTATE undefined_table. */
const UNDEFINED_TABLE = '42P01';
