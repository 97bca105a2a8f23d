// Command-line flags shared by `npm run evaluate` and `npm run bench:engine`.
import { parseArgs } from 'node:util';

export interface CohortArgs {
  readonly patients: number;
  readonly days: number;
  readonly seed: string;
  readonly resolveAfterDays: number;
  readonly help: boolean;
}

export class UsageError extends Error {}

function int(name: string, v: string | undefined, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v) || Number(v) < min) throw new UsageError(`--${name} must be an integer >= ${min}, got "${v}"`);
  return Number(v);
}

export function parseCohortArgs(argv: readonly string[], defaults: { patients: number; days: number; seed: string }): CohortArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        patients: { type: 'string' }, days: { type: 'string' }, seed: { type: 'string' },
        'resolve-after': { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  return {
    patients: int('patients', values.patients, defaults.patients, 1),
    days: int('days', values.days, defaults.days, 1),
    seed: values.seed ?? defaults.seed,
    resolveAfterDays: int('resolve-after', values['resolve-after'], 7, 1),
    help: values.help ?? false,
  };
}
