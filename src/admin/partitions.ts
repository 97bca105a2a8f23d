// `npm run admin -- partitions ...`: the monthly partitions of `readings` listed, months made
// ahead, retention run by hand (or only described, --dry-run), and an archived month read
// back (docs/partitions.md).
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import type { Config } from '../config/index.ts';
import { retentionProblem } from '../config/retention.ts';
import type { Db } from '../store/db.ts';
import {
  attachMonth, createRestoreTable, detachedMonths, insertIntoRestoreTable, monthOfName, readingPartitions, restoreReadings,
} from '../store/partitions.ts';
import { readArchive, type ArchiveManifest } from '../partitions/archive.ts';
import { addMonths, planMaintenance, runMaintenance, type MaintenanceOptions } from '../partitions/maintenance.ts';
import { formatTable } from './table.ts';

export const PARTITIONS_USAGE = `  partitions list [--json]                 the monthly partitions of readings: range, estimated rows,
                                           size; DEFAULT; months detached and not yet archived
  partitions create [--ahead N]            make the months up to N ahead (default
                                           READINGS_PARTITIONS_AHEAD), and a month of its own for
                                           rows waiting in DEFAULT
  partitions retain [--dry-run] [--months N] [--quarantine-days N]
                                           detach, archive (gzip CSV in READINGS_ARCHIVE_DIR) and
                                           drop the months older than READINGS_RETENTION_MONTHS (or
                                           N), and delete quarantine rows older than
                                           QUARANTINE_RETENTION_DAYS (or N); --dry-run says what it
                                           would do and does nothing
  partitions restore <file.csv.gz> [--into <table>]
                                           read an archived month back into readings (readings
                                           stored again since are kept), or into a table of its own`;

/** Bad input: the CLI prints it with the usage and exits 2. */
export class PartitionsUsageError extends Error {}

export interface PartitionsOptions {
  readonly json: boolean;
  readonly ahead?: string;
  readonly dryRun: boolean;
  readonly months?: string;
  readonly quarantineDays?: string;
  readonly into?: string;
}

const say = (line: string) => process.stderr.write(`${line}\n`);

function count(raw: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) throw new PartitionsUsageError(`${flag} takes a whole number from ${min} to ${max}, not ${JSON.stringify(raw)}`);
  return n;
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const day = (d: Date | null) => (d ? d.toISOString().slice(0, 10) : '');

/** Runs a `partitions ...` command; null when `positionals` is not one. */
export async function runPartitionsCommand(db: Db, config: Config, positionals: readonly string[], opts: PartitionsOptions): Promise<number | null> {
  const [noun, verb, arg, ...extra] = positionals;
  if (noun !== 'partitions') return null;
  if (extra.length > 0 || (arg !== undefined && verb !== 'restore')) throw new PartitionsUsageError(`too many arguments: ${positionals.join(' ')}`);
  const base: MaintenanceOptions = {
    ...config.partitions,
    snapshotEveryDays: config.engine.snapshotEveryDays,
    progress: say,
  };
  switch (verb) {
    case 'list':
      await list(db, opts.json);
      return 0;
    case 'create': {
      const ahead = count(opts.ahead, '--ahead', 1, 120) ?? config.partitions.aheadMonths;
      const report = await runMaintenance(db, { ...base, aheadMonths: ahead, steps: ['create'], maxMoveRows: Infinity });
      if (report === null) return busy();
      console.log(report.created.length === 0
        ? `every month up to ${ahead} ahead has its partition; nothing created`
        : `created ${report.created.length} partition${report.created.length === 1 ? '' : 's'} (${report.created.join(', ')})` +
          (report.movedFromDefault > 0 ? `; ${report.movedFromDefault} rows moved out of readings_default` : ''));
      return failed(report.failures);
    }
    case 'retain':
      return retain(db, base, opts);
    case 'restore': {
      if (!arg) throw new PartitionsUsageError('partitions restore <file.csv.gz> [--into <table>]');
      return restore(db, config, arg, opts.into);
    }
    default:
      throw new PartitionsUsageError(`unknown command "${positionals.join(' ')}"`);
  }
}

async function list(db: Db, json: boolean): Promise<void> {
  const parts = await readingPartitions(db);
  const detached = await detachedMonths(db);
  const rows = [
    ...parts.map((p) => ({
      partition: p.name, from: day(p.from), to: day(p.to), rows_estimate: p.rowsEstimate, size: json ? p.bytes : mib(p.bytes),
      state: p.isDefault ? 'default' : 'attached',
    })),
    ...detached.map((t) => ({
      partition: `archive.${t.name}`, from: day(monthOfName(t.name) === null ? null : new Date(monthOfName(t.name)!)),
      to: day(monthOfName(t.name) === null ? null : new Date(addMonths(monthOfName(t.name)!, 1))),
      rows_estimate: t.rowsEstimate, size: json ? t.bytes : mib(t.bytes), state: 'detached, to archive',
    })),
  ];
  if (json) console.log(JSON.stringify(rows, null, 2));
  else {
    console.log(formatTable(rows, '(readings is not partitioned)'));
    console.log('\nrows_estimate is PostgreSQL\'s estimate, as of the table\'s last ANALYZE (empty: never analysed).');
  }
}

async function retain(db: Db, base: MaintenanceOptions, opts: PartitionsOptions): Promise<number> {
  const months = count(opts.months, '--months', 1, 1200);
  const days = count(opts.quarantineDays, '--quarantine-days', 1, 36_500);
  const settings: MaintenanceOptions = {
    ...base,
    retentionMonths: months ?? base.retentionMonths,
    quarantineRetentionDays: days ?? base.quarantineRetentionDays,
    steps: ['retain'],
  };
  const problem = retentionProblem(settings.retentionMonths, settings.snapshotEveryDays);
  if (problem !== null) throw new Error(`${months !== undefined ? '--months' : 'READINGS_RETENTION_MONTHS'}: ${problem}`);
  const plan = await planMaintenance(db, settings);
  if (settings.retentionMonths === 0) say('readings retention is off (READINGS_RETENTION_MONTHS=0; --months N runs it once)');
  else say(`readings retention: months ending on or before ${plan.cutoff!.toISOString().slice(0, 10)} go (${settings.retentionMonths} whole months kept before the current one)`);
  if (settings.quarantineRetentionDays === 0) say('quarantine retention is off (QUARANTINE_RETENTION_DAYS=0; --quarantine-days N runs it once)');
  if (opts.dryRun) {
    const lines: string[] = [];
    for (const p of plan.detach) {
      lines.push(`would detach ${p.name} [${day(p.from)}, ${day(p.to)}), about ${p.rowsEstimate ?? '?'} rows, ${mib(p.bytes)}, archive it to ${settings.archiveDir} and drop it`);
    }
    for (const m of plan.leftInDefault) lines.push(`${m.name}: ${m.rowsFromDefault} rows wait in readings_default (partitions create moves them)`);
    for (const t of plan.unfinished) lines.push(`would archive and drop archive.${t.name} (detached by an earlier run), about ${t.rowsEstimate ?? '?'} rows`);
    if (plan.postponed) lines.push(`would keep ${plan.postponed.names.join(', ')}: ${plan.postponed.reason}`);
    if (plan.quarantine) lines.push(`would delete ${plan.quarantine.rows} quarantine rows received before ${plan.quarantine.before.toISOString()}`);
    console.log(lines.length > 0 ? lines.join('\n') : 'nothing to do');
    console.log('(dry run: nothing changed)');
    return 0;
  }
  const report = await runMaintenance(db, settings);
  if (report === null) return busy();
  const parts = [
    `${report.archived.length} month${report.archived.length === 1 ? '' : 's'} archived and dropped` +
      (report.archived.length > 0 ? ` (${report.archived.map((a) => (a.file ? `${a.name}: ${a.rows} rows in ${a.file}` : `${a.name}: empty, no file`)).join('; ')})` : ''),
    `${report.quarantineDeleted} quarantine rows deleted`,
  ];
  if (report.postponed) parts.push(`kept ${report.postponed.names.join(', ')}: ${report.postponed.reason}`);
  console.log(parts.join('\n'));
  return failed(report.failures);
}

function busy(): number {
  console.error('error: another process (a service instance) is running partition maintenance; try again when it is done');
  return 1;
}

function failed(failures: readonly string[]): number {
  for (const f of failures) console.error(`error: ${f}`);
  return failures.length > 0 ? 1 : 0;
}

const CHUNK = 5000;

async function restore(db: Db, config: Config, file: string, into: string | undefined): Promise<number> {
  if (!/\.csv\.gz$/.test(file)) throw new PartitionsUsageError(`${JSON.stringify(file)} is not an archive file (readings_YYYY_MM.<time>.csv.gz)`);
  await fs.access(file).catch(() => {
    throw new Error(`cannot read ${file}`);
  });
  const manifest = await readManifest(file);
  if (manifest) {
    const sha256 = await fileHash(file);
    if (sha256 !== manifest.sha256) throw new Error(`${file} does not match its manifest (sha256 ${sha256}, manifest says ${manifest.sha256}): refusing to restore it`);
    say(`${file}: sha256 matches its manifest; ${manifest.rows} rows of ${manifest.table}`);
  } else say(`${file}: no manifest beside it; its rows are checked line by line only`);

  if (into !== undefined) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(into)) throw new PartitionsUsageError(`--into takes a table name (a-z 0-9 _), not ${JSON.stringify(into)}`);
    await createRestoreTable(db, into);
    let n = 0;
    for await (const rows of readArchive(file, CHUNK)) {
      n += await insertIntoRestoreTable(db, into, rows);
      say(`${n} rows restored into ${into}`);
    }
    console.log(`${n} rows restored into table ${into} (not part of readings; drop it when done)`);
    return 0;
  }

  const month = manifest ? Date.parse(manifest.from) : monthOfFile(file);
  if (month === null) throw new Error(`cannot tell the month of ${file}: no manifest and no readings_YYYY_MM in its name`);
  const retention = config.partitions.retentionMonths;
  if (retention > 0 && addMonths(month, 1) <= addMonths(Date.now(), -retention)) {
    throw new Error(
      `${new Date(month).toISOString().slice(0, 7)} is older than READINGS_RETENTION_MONTHS=${retention} keeps: the next maintenance ` +
      'run would archive it again. Raise READINGS_RETENTION_MONTHS (or set 0) for the service and for this command first, or restore ' +
      'into a table of its own with --into <table>',
    );
  }
  let restored = 0;
  let read = 0;
  for await (const rows of readArchive(file, CHUNK)) {
    read += rows.length;
    restored += await restoreReadings(db, rows);
    say(`${read} rows read, ${restored} restored`);
  }
  // Rows of a month without a partition went to DEFAULT: give the month its own.
  await attachMonth(db, month, addMonths(month, 1), 5000, true);
  console.log(`${restored} readings restored into readings` + (read > restored ? `; ${read - restored} skipped (their device and seq are stored again since)` : ''));
  return 0;
}

function monthOfFile(file: string): number | null {
  const m = /(readings_\d{4}_\d{2})\.[^/]*\.csv\.gz$/.exec(file);
  return m ? monthOfName(m[1]!) : null;
}

async function readManifest(file: string): Promise<ArchiveManifest | null> {
  try {
    return JSON.parse(await fs.readFile(file.replace(/\.csv\.gz$/, '.json'), 'utf8')) as ArchiveManifest;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

async function fileHash(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
