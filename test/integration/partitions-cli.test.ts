// `npm run admin -- partitions list|create|retain|restore`, as an operator runs them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { runCli, type CliResult } from '../helpers/cli.ts';
import { writeGroup } from '../../src/ingest/group-write.ts';
import type { ReadingRow } from '../../src/store/readings.ts';
import { partitionName, readingPartitions } from '../../src/store/partitions.ts';
import { addMonths } from '../../src/partitions/maintenance.ts';

let tdb: TestDatabase;
let archiveDir: string;
const saved = { dir: process.env.READINGS_ARCHIVE_DIR, months: process.env.READINGS_RETENTION_MONTHS };
const m = (k: number) => addMonths(Date.now(), k);
const OLD = partitionName(m(-8));

function admin(...args: string[]): Promise<CliResult> {
  return runCli('src/admin/cli.ts', args, tdb.url);
}

const rows = (k: number, device: number): ReadingRow[] =>
  [0, 1, 2, 3].map((i) => ({ deviceId: device, seq: 1000 * (k + 20) + i, at: m(k) + (i + 1) * 86_400_000, metricId: 5, value: 70.5 + i, gatewayId: 1, score: 0.125 }));

const count = async (where = sql`true`) =>
  (await sql<{ n: number }>`SELECT count(*)::int AS n FROM readings WHERE ${where}`.execute(tdb.db)).rows[0]!.n;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  archiveDir = fs.mkdtempSync(path.join(os.tmpdir(), 'telemetry-archive-'));
  // The CLI runs with this process's environment.
  process.env.READINGS_ARCHIVE_DIR = archiveDir;
  delete process.env.READINGS_RETENTION_MONTHS;
  const batch = (r: ReadingRow[]) => ({ rows: r, indexes: r.map((_, i) => i), raws: r.map(() => ({})), quarantine: [], context: { gatewayId: null, siteId: null, source: 'ws', batchId: null } });
  await writeGroup(tdb.db, [batch([...rows(-8, 1), ...rows(-8, 2), ...rows(0, 1)])]);
});
afterAll(async () => {
  for (const [k, v] of [['READINGS_ARCHIVE_DIR', saved.dir], ['READINGS_RETENTION_MONTHS', saved.months]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await tdb?.drop();
  fs.rmSync(archiveDir, { recursive: true, force: true });
});

describe('npm run admin -- partitions', () => {
  it('lists the partitions with their range, estimated rows and size', async () => {
    const r = await admin('partitions', 'list');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^partition\s+from\s+to\s+rows_estimate\s+size\s+state$/);
    const current = partitionName(m(0));
    expect(lines.find((l) => l.startsWith(current))).toMatch(new RegExp(`^${current}\\s+${new Date(m(0)).toISOString().slice(0, 10)}\\s+${new Date(m(1)).toISOString().slice(0, 10)}\\s+\\d*\\s+[\\d.]+ MiB\\s+attached$`));
    expect(lines.some((l) => /^readings_default\s+\d*\s+[\d.]+ MiB\s+default$/.test(l))).toBe(true);
    const json = JSON.parse((await admin('partitions', 'list', '--json')).stdout) as Array<{ partition: string; from: string; size: number }>;
    expect(json.map((p) => p.partition)).toEqual([...[0, 1, 2, 3].map((k) => partitionName(m(k))), 'readings_default']);
    expect(typeof json[0]!.size).toBe('number');
  });

  it('creates the months ahead, a month for the rows waiting in DEFAULT, and the months between', async () => {
    const r = await admin('partitions', 'create', '--ahead', '5');
    expect(r.code, r.stderr).toBe(0);
    const made = [-8, -7, -6, -5, -4, -3, -2, -1, 4, 5].map((k) => partitionName(m(k)));
    expect(r.stdout).toContain(`created 10 partitions (${made.join(', ')}); 8 rows moved out of readings_default`);
    expect(r.stderr).toContain(`created ${OLD} [`);
    const names = (await readingPartitions(tdb.db)).map((p) => p.name);
    expect(names).toContain(partitionName(m(5)));
    expect((await admin('partitions', 'create', '--ahead', '5')).stdout).toContain('nothing created');
    const bad = await admin('partitions', 'create', '--ahead', 'many');
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining('--ahead takes a whole number from 1 to 120')]);
  });

  it('says what retention would do with --dry-run, and does nothing', async () => {
    const r = await admin('partitions', 'retain', '--dry-run', '--months', '3');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`would detach ${OLD} [${new Date(m(-8)).toISOString().slice(0, 10)}, ${new Date(m(-7)).toISOString().slice(0, 10)})`);
    expect(r.stdout).toContain(`archive it to ${archiveDir} and drop it`);
    expect(r.stdout).toContain('(dry run: nothing changed)');
    expect((await readingPartitions(tdb.db)).map((p) => p.name)).toContain(OLD);
    expect(await count()).toBe(12);
  });

  it('refuses a retention shorter than the engine needs, with the reason', async () => {
    const r = await admin('partitions', 'retain', '--months', '2');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--months: 2 months is shorter than the anomaly engine needs.*at least 3 months must be kept/);
    process.env.READINGS_RETENTION_MONTHS = '1';
    try {
      const c = await admin('partitions', 'list');
      expect(c.code).toBe(1);
      expect(c.stderr).toContain('READINGS_RETENTION_MONTHS: 1 month is shorter than the anomaly engine needs');
    } finally {
      delete process.env.READINGS_RETENTION_MONTHS;
    }
  });

  let file: string;
  it('archives and drops the months past the retention', async () => {
    const r = await admin('partitions', 'retain', '--months', '3');
    expect(r.code, r.stderr).toBe(0);
    // Month -8 with its readings; months -7 to -4, empty, without a file.
    expect(r.stdout).toContain(`5 months archived and dropped (${OLD}: 8 rows in ${archiveDir}/${OLD}.`);
    expect(r.stdout).toContain(`${partitionName(m(-4))}: empty, no file)`);
    expect(r.stderr).toContain(`${OLD}: 8 reading keys forgotten`);
    file = fs.readdirSync(archiveDir).filter((f) => f.endsWith('.csv.gz')).map((f) => path.join(archiveDir, f))[0]!;
    expect(path.basename(file)).toMatch(new RegExp(`^${OLD}\\.\\d{8}T\\d{6}Z\\.csv\\.gz$`));
    expect(await count()).toBe(4);
    expect((await readingPartitions(tdb.db)).map((p) => p.name)).not.toContain(OLD);
  });

  it('restores an archived month, once: readings and keys', async () => {
    process.env.READINGS_RETENTION_MONTHS = '3';
    try {
      const refused = await admin('partitions', 'restore', file);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('is older than READINGS_RETENTION_MONTHS=3 keeps: the next maintenance run would archive it again');
    } finally {
      delete process.env.READINGS_RETENTION_MONTHS;
    }
    const r = await admin('partitions', 'restore', file);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('sha256 matches its manifest; 8 rows of');
    expect(r.stdout).toContain('8 readings restored into readings');
    const back = await sql<{ part: string; n: number; score: number; keys: number }>`
      SELECT tableoid::regclass::text AS part, count(*)::int AS n, min(score) AS score,
             (SELECT count(*)::int FROM reading_keys WHERE at < ${new Date(m(-7))}) AS keys
      FROM readings WHERE at < ${new Date(m(-7))} GROUP BY 1`.execute(tdb.db);
    expect(back.rows).toEqual([{ part: OLD, n: 8, score: 0.125, keys: 8 }]);
    const again = await admin('partitions', 'restore', file);
    expect(again.stdout).toContain('0 readings restored into readings; 8 skipped (their device and seq are stored again since)');
    expect(await count()).toBe(12);
  });

  it('restores into a table of its own with --into, and refuses a file that does not match its manifest', async () => {
    const r = await admin('partitions', 'restore', file, '--into', 'old_month');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('8 rows restored into table old_month');
    expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM old_month`.execute(tdb.db)).rows[0]!.n).toBe(8);
    const copy = path.join(archiveDir, `${OLD}.20000101T000000Z.csv.gz`);
    fs.copyFileSync(file, copy);
    fs.writeFileSync(copy.replace(/\.csv\.gz$/, '.json'), JSON.stringify({ sha256: '0'.repeat(64), rows: 8, from: new Date(m(-8)).toISOString() }));
    const bad = await admin('partitions', 'restore', copy);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('does not match its manifest');
  });

  it('answers an unknown partitions command with the usage', async () => {
    const r = await admin('partitions', 'split');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command "partitions split"');
    expect(r.stderr).toContain('partitions retain [--dry-run]');
  });
});
