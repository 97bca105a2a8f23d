// The cohort flags of `npm run bench:engine`, and the integer flag parsing `npm run evaluate`
// shares with it.
import { parseArgs } from 'node:util';

export interface CohortArgs {
  readonly patients: number;
  readonly days: number;
  readonly seed: string;
  readonly help: boolean;
}

export class UsageError extends Error {}

export function intFlag(name: string, v: string | undefined, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v) || Number(v) < min) throw new UsageError(`--${name} must be an integer >= ${min}, got "${v}"`);
  return Number(v);
}

/** node:util's parseArgs, with its errors turned into UsageError. */
export function parseFlags<T extends NonNullable<Parameters<typeof parseArgs>[0]>['options']>(argv: readonly string[], options: T) {
  try {
    return parseArgs({ args: [...argv], strict: true, allowPositionals: false, options: options as NonNullable<T> }).values;
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}

export function parseCohortArgs(argv: readonly string[], defaults: { patients: number; days: number; seed: string }): CohortArgs {
  const values = parseFlags(argv, {
    patients: { type: 'string' }, days: { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  });
  return {
    patients: intFlag('patients', values.patients, defaults.patients, 1),
    days: intFlag('days', values.days, defaults.days, 1),
    seed: values.seed ?? defaults.seed,
    help: values.help ?? false,
  };
}
