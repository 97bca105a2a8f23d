// npm run export -- --from ... --to ... --format csv --out timeline.csv [--site] [--kind] [--include readings,outcomes] [--min-cell k] [--shift days|seconds]
// The analysts' command-line exporter: the same rows as GET /v1/exports/timeline, into a
// file, for every site (or the named ones), audited as `export.cli`.
import fs from 'node:fs';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import pino from 'pino';
import { recordAudit } from '../auth/audit.ts';
import { loadConfig } from '../config/index.ts';
import { EXPORT_KEY_MIN_LENGTH } from '../config/schema.ts';
import { ServiceError, ERRORS } from '../errors.ts';
import { migrateToLatest } from '../store/migrate.ts';
import { openDatabase } from '../store/open.ts';
import { allSites, sitesByCode, type SiteRef } from '../store/export.ts';
import { describeRequest, parseExportRequest } from './filter.ts';
import { SHIFT_MODES, type ShiftMode } from './deidentify.ts';
import { runExport, type ExportTally } from './run.ts';
import { DEFAULT_MIN_CELL, MAX_MIN_CELL, type CellSummary } from './small-cells.ts';
import { errorMessage } from '../util/error-message.ts';

const USAGE = `Usage: npm run export -- --out <file> [--from <RFC 3339>] [--to <RFC 3339>] [--format ndjson|csv]
       [--site <code>[,<code>]] [--kind <alert kind>[,...]] [--include readings,outcomes]
       [--min-cell <k>] [--shift days|seconds]

Writes the de-identified event timeline (docs/export.md) of every site, or the named
ones, to <file>. --min-cell: every combination of site, device type, sex and age band
is shared by at least k subjects (default ${DEFAULT_MIN_CELL}; 1 turns the protection off).
--shift seconds: date shifts in whole seconds, not whole days (not contract v1: times of
day are not kept; see docs/export.md). Needs EXPORT_KEY; connects to DATABASE_URL or the embedded PostgreSQL
under DATA_DIR, like npm run admin.`;

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      site: { type: 'string', multiple: true },
      kind: { type: 'string', multiple: true },
      include: { type: 'string', multiple: true },
      'min-cell': { type: 'string' },
      shift: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || !values.out) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  const minCellText = values['min-cell'] ?? String(DEFAULT_MIN_CELL);
  const minCell = Number(minCellText);
  if (!/^\d+$/.test(minCellText) || minCell < 1 || minCell > MAX_MIN_CELL) {
    throw new ServiceError('bad_message', `--min-cell must be a whole number 1..${MAX_MIN_CELL}`);
  }
  const shift = (values.shift ?? 'days') as ShiftMode;
  if (!SHIFT_MODES.includes(shift)) throw new ServiceError('bad_message', `--shift must be one of ${SHIFT_MODES.join(', ')}`);
  const config = loadConfig();
  const key = config.export.key;
  if (key === null) throw new ServiceError('export_key_missing', `${ERRORS.export_key_missing.message}: set EXPORT_KEY (${EXPORT_KEY_MIN_LENGTH}+ characters)`);
  const request = parseExportRequest({ from: values.from, to: values.to, format: values.format, site: values.site, kind: values.kind, include: values.include });

  const log = pino({ level: 'warn' }, pino.destination(2));
  const database = await openDatabase(config, log);
  const out = fs.createWriteStream(values.out);
  let outcome = 'failed';
  const tally: ExportTally = { rows: 0, subjects: 0 };
  const bar = process.stderr.isTTY
    ? new cliProgress.SingleBar(
        { stream: process.stderr, format: 'subjects {bar} {value}/{total} | {rows} rows | {eta_formatted} left', hideCursor: true },
        cliProgress.Presets.shades_classic,
      )
    : null;
  try {
    await migrateToLatest(database.db);
    const db = database.db;
    let sites: SiteRef[];
    if (request.sites) {
      sites = await sitesByCode(db, request.sites);
      const missing = request.sites.filter((c) => !sites.some((s) => s.code === c));
      if (missing.length) throw new ServiceError('bad_message', `no site ${missing.join(', ')}`);
    } else {
      sites = await allSites(db);
    }
    const filter = describeRequest(request);
    await recordAudit(db, { user: null, action: 'export.cli.start', detail: { filter } });
    const aborted = new AbortController();
    process.once('SIGINT', () => aborted.abort());
    try {
      await runExport({
        db,
        key,
        request,
        sites,
        tally,
        minCell,
        shift,
        signal: aborted.signal,
        write: async (chunk) => {
          if (!out.write(chunk)) await once(out, 'drain', { signal: aborted.signal });
        },
        progress: ({ subjectsDone, subjectsTotal, rows }) => {
          if (!bar) return;
          if (subjectsDone === 0) bar.start(subjectsTotal, 0, { rows });
          else bar.update(subjectsDone, { rows });
        },
      });
      outcome = 'complete';
    } catch (e) {
      outcome = aborted.signal.aborted ? 'cancelled' : 'failed';
      throw e;
    } finally {
      bar?.stop();
      out.end();
      await once(out, 'close');
      await recordAudit(db, { user: null, action: 'export.cli', detail: { filter, outcome, subjects: tally.subjects, rows: tally.rows, shift, small_cells: tally.cells ?? null } });
    }
    console.error(`${tally.rows} rows for ${tally.subjects} subjects written to ${values.out}`);
    if (tally.cells) console.error(describeCells(tally.cells));
    return 0;
  } finally {
    await database.shutdown();
  }
}

/** The small-cell line of the final summary. */
function describeCells(c: CellSummary): string {
  if (c.k <= 1) return 'small cells: protection off (--min-cell 1)';
  const s = c.suppressed;
  const suppressed = s.site + s.device_type + s.sex + s.age_band;
  return `small cells (k=${c.k}): ${c.subjects} subjects' enrolled values changed, ${c.generalised.age_band} generalised (age_band ${c.generalised.age_band}), `
    + `${suppressed} suppressed (site ${s.site}, device_type ${s.device_type}, sex ${s.sex}, age_band ${s.age_band})`;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ServiceError) console.error(`export: ${err.code}: ${err.message}`);
    else console.error(`export: ${errorMessage(err)}`);
    process.exit(err instanceof ServiceError && err.statusCode === 400 ? 2 : 1);
  },
);
