import path from 'node:path';
import { promises as fs } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pathToFileURL } from 'node:url';
import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';

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

// Kysely's FileMigrationProvider imports from inside node_modules, where the test
// runner does not compile TypeScript; importing from here works under tsx and vitest.
function folderProvider(dir: string): MigrationProvider {
  return {
    async getMigrations() {
      const files = (await fs.readdir(dir)).filter((f) => /\.(ts|js|mjs)$/.test(f) && !f.endsWith('.d.ts')).sort();
      const out: Record<string, Migration> = {};
      for (const f of files) {
        out[f.replace(/\.(ts|js|mjs)$/, '')] = (await import(pathToFileURL(path.join(dir, f)).href)) as Migration;
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

/** Names of migrations not yet applied (empty when the schema is current). */
export async function pendingMigrations(db: AnyDb): Promise<string[]> {
  const all = await createMigrator(db).getMigrations();
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
}
