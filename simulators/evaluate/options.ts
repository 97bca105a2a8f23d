// The flags of `npm run evaluate`.
import { NOISE_PROFILES, type NoiseProfile } from '../types.ts';
import { UsageError, intFlag, parseFlags } from './args.ts';
import { NEXT_DAY_CLINIC, type Clinic } from './episodes.ts';
import { REPORT_COHORT, REPORT_SEEDS, TUNE_SEEDS } from './frozen.ts';

export interface EvaluateArgs {
  readonly profiles: readonly NoiseProfile[];
  readonly seeds: readonly string[];
  readonly patients: number;
  readonly days: number;
  readonly clinic: Clinic;
  /** A JSON file of engine settings overriding the defaults (the shape of the settings API). */
  readonly settings: string | null;
  readonly json: boolean;
  /** Also the lifecycle section (the same cohorts with device lifecycle events); absent when off. */
  readonly lifecycle?: true;
  readonly help: boolean;
}

export const USAGE = `Usage: npm run evaluate -- [--profile P] [--tune | --seed S ...] [--patients N] [--days N]
                            [--resolve-after D | --resolve-quiet D] [--settings FILE] [--lifecycle] [--json]

  --profile P        clean, calibrated, double or all (default all): the simulator's background noise
  --tune             run the tuning seeds (${TUNE_SEEDS.join(', ')}) instead of the report seed
  --seed S           run this seed instead (repeatable); several seeds are pooled
                     (default: the frozen report seed ${REPORT_SEEDS.join(', ')})
  --patients N       patients, one device each (default ${REPORT_COHORT.patients})
  --days N           simulated days (default ${REPORT_COHORT.days})
  --resolve-after D  the simulated clinic resolves every alert D days after it opened (default ${NEXT_DAY_CLINIC.days});
                     a trigger after that opens a new alert, counted as a new opening
  --resolve-quiet D  instead, resolve an alert once it has had no trigger for D days
  --settings FILE    engine settings over the defaults, as a site override is stored
                     (JSON, e.g. docs/settings/hf-sensitive.json)
  --lifecycle        also the lifecycle section: each cohort again with device lifecycle events
                     (generator changes, lead revisions, reprogramming, implants), run with the
                     events recorded and without; alerts in the 30 days after each event
  --json             print one JSON object with every measure instead of the tables
  -h, --help         this text

Progress goes to stderr. Engine settings are tuned from a script with evaluate() or
prepareCohort() + scoreCohort() (simulators/evaluate/index.ts), on the tuning seeds only.
`;

function profilesFrom(v: string | undefined): NoiseProfile[] {
  if (v === undefined || v === 'all') return [...NOISE_PROFILES];
  const p = NOISE_PROFILES.find((x) => x === v);
  if (!p) throw new UsageError(`--profile must be one of ${[...NOISE_PROFILES, 'all'].join(', ')}, got "${v}"`);
  return [p];
}

export function parseEvaluateArgs(argv: readonly string[]): EvaluateArgs {
  const v = parseFlags(argv, {
    profile: { type: 'string' }, tune: { type: 'boolean' }, seed: { type: 'string', multiple: true },
    patients: { type: 'string' }, days: { type: 'string' },
    'resolve-after': { type: 'string' }, 'resolve-quiet': { type: 'string' },
    settings: { type: 'string' }, json: { type: 'boolean' }, lifecycle: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  });
  if (v.tune && v.seed) throw new UsageError('--tune and --seed exclude each other');
  if (v['resolve-after'] !== undefined && v['resolve-quiet'] !== undefined) {
    throw new UsageError('--resolve-after and --resolve-quiet exclude each other');
  }
  const clinic: Clinic = v['resolve-quiet'] !== undefined
    ? { resolve: 'quiet', days: intFlag('resolve-quiet', v['resolve-quiet'], 7, 1) }
    : { resolve: 'after-open', days: intFlag('resolve-after', v['resolve-after'], NEXT_DAY_CLINIC.days, 1) };
  return {
    profiles: profilesFrom(v.profile),
    seeds: v.seed ?? (v.tune ? TUNE_SEEDS : REPORT_SEEDS),
    patients: intFlag('patients', v.patients, REPORT_COHORT.patients, 1),
    days: intFlag('days', v.days, REPORT_COHORT.days, 1),
    clinic,
    settings: v.settings ?? null,
    json: v.json ?? false,
    ...(v.lifecycle ? { lifecycle: true as const } : {}),
    help: v.help ?? false,
  };
}
