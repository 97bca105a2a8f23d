// Units and coded values of IDCO observations, brought to the vocabulary's unit.
import type { MetricDef } from '../../domain/types.ts';

export type UnitOutcome =
  | { readonly ok: true; readonly value: number; readonly assumed: boolean }
  | { readonly ok: false; readonly reason: string };

// value_in_target = value * mul / div. Keys are lower case (`Ω` becomes `ω`): senders write `ohm`, `Ohms`, `KOhm`.
type Factor = readonly [mul: number, div: number];
const ONE: Factor = [1, 1];
// UCUM `mo` is the mean Julian month, 30.4375 days; `a` the Julian year, 12 of them.
const DAYS_PER_MONTH = 30.4375;

const CONVERSIONS: Readonly<Record<string, Readonly<Record<string, Factor>>>> = {
  'V': { v: ONE, mv: [1, 1000], uv: [1, 1_000_000] },
  'mV': { mv: ONE, v: [1000, 1], uv: [1, 1000] },
  'Ohm': { ohm: ONE, ohms: ONE, 'ω': ONE, kohm: [1000, 1], 'kω': [1000, 1] },
  'Ohm.d': { 'ohm.d': ONE, 'ohm*d': ONE, 'ohm·d': ONE },
  's': { s: ONE, sec: ONE, ms: [1, 1000], min: [60, 1] },
  'ms': { ms: ONE, s: [1000, 1], us: [1, 1000] },
  'mo': {
    mo: ONE, mon: ONE, month: ONE, months: ONE, mo_j: ONE,
    a: [12, 1], a_j: [12, 1], yr: [12, 1], y: [12, 1], year: [12, 1], years: [12, 1],
    wk: [7, DAYS_PER_MONTH], week: [7, DAYS_PER_MONTH], weeks: [7, DAYS_PER_MONTH],
    d: [1, DAYS_PER_MONTH], day: [1, DAYS_PER_MONTH], days: [1, DAYS_PER_MONTH],
  },
  '/min': { '/min': ONE, '1/min': ONE, '{beats}/min': ONE, '{beat}/min': ONE, bpm: ONE, '{breaths}/min': ONE },
  '%': { '%': ONE },
  // h/d, min/d and % are all dimensionless ratios of a day, so they convert exactly.
  'h/d': { 'h/d': ONE, 'min/d': [1, 60], '%': [24, 100] },
  'min/d': { 'min/d': ONE, 'h/d': [60, 1], '%': [1440, 100] },
};

/** Twelve significant digits drop the noise of binary floating point (0.1 * 3) without losing data. */
function tidy(x: number): number {
  return Number(x.toPrecision(12));
}

function isAnnotationOnly(unit: string): boolean {
  return /^\{[^{}]*\}$/.test(unit);
}

/**
 * Convert `value` given in `unit` (OBX-6) to the metric's vocabulary unit. A missing unit is
 * read as the vocabulary unit (the IDC nomenclature fixes one unit per term), reported as
 * assumed. Counts and statuses are dimensionless: an empty unit, `1` or any UCUM annotation
 * such as `{shocks}` or `{seq}` is accepted.
 */
export function toVocabularyUnit(value: number, unit: string, metric: MetricDef): UnitOutcome {
  const given = unit.trim();
  const target = metric.unit;
  if (isAnnotationOnly(target)) {
    if (given === '' || given === '1' || isAnnotationOnly(given)) return { ok: true, value, assumed: false };
    return { ok: false, reason: `unit ${JSON.stringify(given)} is not a count unit (${target})` };
  }
  if (given === '') return { ok: true, value, assumed: true };
  if (given === target) return { ok: true, value, assumed: false };
  const factor = CONVERSIONS[target]?.[given.toLowerCase()];
  if (!factor) return { ok: false, reason: `unit ${JSON.stringify(given)} cannot be converted to ${target}` };
  const [mul, div] = factor;
  const converted = mul === 1 && div === 1 ? value : tidy((value * mul) / div);
  return Number.isFinite(converted)
    ? { ok: true, value: converted, assumed: false }
    : { ok: false, reason: `value ${value} ${given} overflows when converted to ${target}` };
}

// Battery status, as the vocabulary numbers it: 1 BOS, 2 MOS, 3 ERI/RRT, 4 EOS.
const BATTERY_TOKENS: Readonly<Record<string, number>> = {
  BOS: 1, BOL: 1, 'BEGINNING OF SERVICE': 1, 'BEGINNING OF LIFE': 1,
  MOS: 2, MOL: 2, 'MIDDLE OF SERVICE': 2, 'MIDDLE OF LIFE': 2,
  ERI: 3, RRT: 3, ERT: 3, 'ELECTIVE REPLACEMENT': 3, 'ELECTIVE REPLACEMENT INDICATOR': 3,
  'RECOMMENDED REPLACEMENT': 3, 'RECOMMENDED REPLACEMENT TIME': 3,
  EOS: 4, EOL: 4, 'END OF SERVICE': 4, 'END OF LIFE': 4,
};

/**
 * Read a battery status from coded or text values: `BOS`, `RRT`, `End of Service`, or an
 * MDC enumeration reference id such as `MDC_IDC_ENUM_BATTERY_STATUS_ERI`. Numeric MDC
 * enumeration codes are only understood through the reference id sent beside them.
 */
export function batteryStatus(candidates: readonly string[]): number | undefined {
  for (const raw of candidates) {
    let text = raw.trim().toUpperCase().replace(/[\s_-]+/g, ' ');
    const enumPrefix = 'MDC IDC ENUM BATTERY STATUS ';
    if (text.startsWith(enumPrefix)) text = text.slice(enumPrefix.length);
    const found = BATTERY_TOKENS[text];
    if (found !== undefined) return found;
  }
  return undefined;
}
