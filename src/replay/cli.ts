// npm run replay -- [--site CODE]... [--patient p-N]... [--from DATE] [--to DATE] [--settings FILE] [--json]
// Replays stored readings through the engine under today's settings and, with --settings,
// under a proposed override, and prints per alert kind what would change. Writes no live
// table; the run is audited as `replay.cli` (it reads patients' readings).
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import pino from 'pino';
import { recordAudit } from '../auth/audit.ts';
import { loadConfig } from '../config/index.ts';
import { migrateToLatest } from '../store/migrate.ts';
import { openDatabase } from '../store/open.ts';
import { formatResult } from './format.ts';
import { checkProposal, replay, ReplayError, selectDevices, type ReplayResult } from './replay.ts';
import { errorMessage } from '../util/error-message.ts';

const USAGE = `Usage: npm run replay -- [--site <code>]... [--patient p-N]... [--from <date>] [--to <date>]
       [--settings <file.json>] [--json]

Runs every selected device's stored readings, in event order, through the engine with the
settings in force now and, with --settings, with that engine-settings override on top (the
shape of PUT /v1/patients/:id/engine-settings), and prints per alert kind: the alerts stored,
those the replay opens under each, gained, lost, and where clinicians recorded outcomes the
PPV and sensitivity each way. --from/--to (RFC 3339 or a date) bound the openings counted;
the engine still learns from everything before --from. Connectivity alerts are left out.
Writes nothing but one audit row; connects like npm run admin.`;

function time(text: string | undefined, flag: string): number | null {
  if (text === undefined) return null;
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(t)) throw new ReplayError(`${flag} must be an RFC 3339 time or a date (YYYY-MM-DD), not ${JSON.stringify(text)}`);
  return t;
}

function readSettings(file: string | undefined): unknown {
  if (file === undefined) return null;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ReplayError(`cannot read --settings ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ReplayError(`--settings ${file} is not JSON`);
  }
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      site: { type: 'string', multiple: true },
      patient: { type: 'string', multiple: true },
      from: { type: 'string' },
      to: { type: 'string' },
      settings: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.error(USAGE);
    return 0;
  }
  const sel = { sites: values.site, patients: values.patient, from: time(values.from, '--from'), to: time(values.to, '--to') };
  if (sel.from !== null && sel.to !== null && sel.from >= sel.to) throw new ReplayError('--from must be before --to');
  const raw = readSettings(values.settings);
  const proposed = raw === null ? null : checkProposal(raw);
  const config = loadConfig();
  const database = await openDatabase(config, pino({ level: 'warn' }, pino.destination(2)));
  const bar = process.stderr.isTTY && !values.json
    ? new cliProgress.SingleBar({ stream: process.stderr, format: 'devices {bar} {value}/{total} | {readings} readings | {eta_formatted} left', hideCursor: true },
      cliProgress.Presets.shades_classic)
    : null;
  try {
    await migrateToLatest(database.db);
    const devices = await selectDevices(database.db, sel);
    const filter = { sites: sel.sites ?? null, patients: sel.patients ?? null, from: values.from ?? null, to: values.to ?? null, proposed: proposed !== null };
    let result: ReplayResult;
    try {
      result = await replay(database.db, devices, sel, proposed, (p) => {
        if (!bar) return;
        if (p.devicesDone === 0) bar.start(p.devicesTotal, 0, { readings: 0 });
        else bar.update(p.devicesDone, { readings: p.readings });
      });
    } finally {
      bar?.stop();
    }
    await recordAudit(database.db, { user: null, action: 'replay.cli', detail: { filter, devices: result.devices, readings: result.readings } });
    process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `${formatResult(result, proposed !== null)}\n`);
    return 0;
  } finally {
    await database.shutdown();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`replay: ${errorMessage(err)}`);
    // A mistake in the command line (ours, or parseArgs's unknown or malformed option): exit 2.
    const usage = err instanceof ReplayError || String((err as { code?: unknown }).code ?? '').startsWith('ERR_PARSE_ARGS');
    if (usage) console.error(USAGE);
    process.exit(usage ? 2 : 1);
  },
);
