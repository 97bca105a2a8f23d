// npm run calibrate -- [--patients N] [--days N] [--seed S] [--profile clean|calibrated|double|all] [--json]
// Generates a cohort per profile and measures it against published real-world rates, using
// only the readings and an OptiVol / PARTNERS-HF implementation of its own (no engine code).
import { createCohort } from '../cohort.ts';
import { NOISE_PROFILES, type NoiseProfile } from '../types.ts';
import { collect } from './collect.ts';
import { computeFigures, type Figures } from './figures.ts';
import { computeLeads, type LeadFigures } from './lead.ts';
import { formatLeads, formatTable } from './table.ts';

interface Args { patients: number; days: number; seed: string; profiles: NoiseProfile[]; json: boolean }

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { patients: 1000, days: 365, seed: 'calibrate-1', profiles: [...NOISE_PROFILES], json: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const int = (): number => {
      const v = Number(value());
      if (!Number.isInteger(v) || v < 1) throw new Error(`${flag} must be a positive integer`);
      return v;
    };
    if (flag === '--patients') args.patients = int();
    else if (flag === '--days') args.days = int();
    else if (flag === '--seed') args.seed = value();
    else if (flag === '--json') args.json = true;
    else if (flag === '--profile') {
      const p = value();
      if (p === 'all') args.profiles = [...NOISE_PROFILES];
      else if ((NOISE_PROFILES as readonly string[]).includes(p)) args.profiles = [p as NoiseProfile];
      else throw new Error(`--profile must be clean, calibrated, double or all, got ${p}`);
    } else throw new Error(`unknown argument: ${flag}`);
  }
  return args;
}

function main(): void {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(2);
  }
  const results: { profile: NoiseProfile; figures: Figures; leads: LeadFigures }[] = [];
  for (const profile of args.profiles) {
    const cohort = createCohort({ patients: args.patients, days: args.days, seed: args.seed, profile });
    const series = collect(cohort, (day) => {
      if (day % 30 === 0) process.stderr.write(`\r${profile}: day ${day + 1}/${args.days}   `);
    });
    results.push({ profile, figures: computeFigures(cohort, series), leads: computeLeads(cohort.truth, series, cohort.options) });
    process.stderr.write(`\r${profile}: done${' '.repeat(20)}\n`);
  }
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ patients: args.patients, days: args.days, seed: args.seed, results }, null, 2)}\n`);
  } else {
    process.stdout.write(`${args.patients} patients x ${args.days} days, seed ${args.seed}\n\n${formatTable(results)}\n\n${formatLeads(results)}\n`);
  }
}

main();
