import path from 'node:path';
import { promises as fs } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pathToFileURL } from 'node:url';
import { DEFAULT_MIGRATION_TABLE, Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

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

/** Apply every pending migration; throws with the failing migration's name. */
export async function migrateToLatest(db: AnyDb): Promise<string[]> {
  const { error, results } = await createMigrator(db).migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    const cause = error instanceof Error ? error.message : String(error);
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${cause}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
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
