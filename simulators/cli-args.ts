// Command-line parsing for `npm run simulate`, kept apart from the entry point so it can be tested.
import { parseArgs } from 'node:util';
import type { SimulationOptions, Speed } from './run.ts';
import { parseStart } from './time.ts';
import { NOISE_PROFILES } from './types.ts';

export const USAGE = `Usage: npm run simulate -- [options]

Generates a seeded cohort of implanted cardiac devices and streams it to the ingest
WebSocket as gateways would, or writes it to an NDJSON file.

  --patients N       patients (default 100)
  --days N           simulated days (default 30)
  --seed S           seed; the same seed gives the same readings (default 1)
  --start DATE       first simulated day, YYYY-MM-DD (default: DAYS before today)
  --speed S          max | realtime | simulated seconds per second, e.g. 3600 (default max)
  --url URL          ws://host:port/v1/ingest (required unless --out)
  --key KEY          gateway key; repeat as SITE=KEY for several sites
  --sites A,B        site names patients are spread over (default: sites of --key, or "sim")
  --gateways N       patients on their own bedside gateway (default 10)
  --relays N         relays per site for the other patients (default 2; 0 = all bedside)
  --late-share P     chance an upload starts a 1-20 h late flush (default 0)
  --noise P          calibrated (default): background behaviour calibrated to published
                     real-world rates; clean: the original, every patient alike and
                     day-independent noise; double: calibrated with every variability doubled
  --hourly-hr        also send heart_rate every hour
  --lifecycle        add device lifecycle events (generator changes with a new serial, lead
                     revisions, reprogramming, implants) to the readings and the ground truth
  --out FILE         write readings as NDJSON instead of sending
  --truth FILE       write the ground truth (.json with patients, or .ndjson events)
  --no-resume        do not ask the service what it holds before sending
  --quiet            no progress bar
  -h, --help         this text
`;

export class UsageError extends Error {}

export interface CliOptions {
  readonly help: boolean;
  readonly quiet: boolean;
  readonly sim: SimulationOptions;
}

function int(name: string, v: string | undefined, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v) || Number(v) < min) throw new UsageError(`--${name} must be an integer >= ${min}, got "${v}"`);
  return Number(v);
}

function speed(v: string | undefined): Speed {
  if (v === undefined || v === 'max') return 'max';
  if (v === 'realtime') return 'realtime';
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--speed must be max, realtime or a positive number, got "${v}"`);
  return n;
}

function keys(values: readonly string[]): { key?: string | Record<string, string>; sites?: string[] } {
  if (values.length === 0) return {};
  const pairs = values.map((v) => /^([A-Za-z0-9_.:-]+)=(.+)$/.exec(v));
  if (values.length === 1 && !pairs[0]) return { key: values[0] as string };
  const out: Record<string, string> = {};
  for (const [i, m] of pairs.entries()) {
    if (!m) throw new UsageError(`with several --key options each must be SITE=KEY, got "${values[i]}"`);
    out[m[1] as string] = m[2] as string;
  }
  return { key: out, sites: Object.keys(out) };
}

export function parseCli(argv: readonly string[]): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        patients: { type: 'string' }, days: { type: 'string' }, seed: { type: 'string' },
        start: { type: 'string' }, speed: { type: 'string' }, url: { type: 'string' },
        key: { type: 'string', multiple: true }, sites: { type: 'string' }, gateways: { type: 'string' },
        relays: { type: 'string' }, 'late-share': { type: 'string' }, 'hourly-hr': { type: 'boolean' },
        out: { type: 'string' }, truth: { type: 'string' }, 'no-resume': { type: 'boolean' },
        noise: { type: 'string' }, quiet: { type: 'boolean' }, lifecycle: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  const v = parsed.values;
  if (v.help) return { help: true, quiet: true, sim: { patients: 1, days: 1, seed: 1 } };
  const late = v['late-share'] === undefined ? 0 : Number(v['late-share']);
  if (!(late >= 0 && late <= 1)) throw new UsageError(`--late-share must be a number in 0..1, got "${v['late-share']}"`);
  let start: number | undefined;
  if (v.start !== undefined) {
    try {
      start = parseStart(v.start);
    } catch (e) {
      throw new UsageError(`--start: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const profile = NOISE_PROFILES.find((p) => p === (v.noise ?? 'calibrated'));
  if (!profile) throw new UsageError(`--noise must be one of ${NOISE_PROFILES.join(', ')}, got "${v.noise}"`);
  const patients = int('patients', v.patients, 100, 1);
  const days = int('days', v.days, 30, 1);
  const gateways = int('gateways', v.gateways, 10, 0);
  const relays = int('relays', v.relays, 2, 0);
  const k = keys(v.key ?? []);
  if (!v.out && !v.url) throw new UsageError('give --url to send to the service, or --out to write a file');
  if (!v.out && k.key === undefined) throw new UsageError('--key is required when sending to the service');
  const sites = v.sites !== undefined ? v.sites.split(',').filter((s) => s.length > 0) : k.sites;
  if (sites && typeof k.key === 'object') {
    const missing = sites.filter((s) => !(s in (k.key as Record<string, string>)));
    if (missing.length > 0) throw new UsageError(`no --key for site(s): ${missing.join(', ')}`);
  }
  const sim: SimulationOptions = {
    patients,
    days,
    seed: v.seed ?? '1',
    speed: speed(v.speed),
    gateways,
    relays,
    lateShare: late,
    hourlyHr: v['hourly-hr'] ?? false,
    profile,
    resume: !v['no-resume'],
    ...(v.lifecycle ? { lifecycle: true } : {}),
    ...(start === undefined ? {} : { start }),
    ...(v.url === undefined ? {} : { url: v.url }),
    ...(k.key === undefined ? {} : { key: k.key }),
    ...(sites === undefined ? {} : { sites }),
    ...(v.out === undefined ? {} : { out: v.out }),
    ...(v.truth === undefined ? {} : { truth: v.truth }),
  };
  return { help: false, quiet: v.quiet ?? false, sim };
}
