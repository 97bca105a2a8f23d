// One OBX: what it is (OBX-3) and what number it carries (OBX-2, -5, -6).
import { lookupMetric } from '../../domain/vocabulary.ts';
import type { MetricDef } from '../../domain/types.ts';
import { rawField, readable, repetitions, value, type Encoding, type Segment } from './hl7.ts';
import { batteryStatus, toVocabularyUnit } from './units.ts';
import { periodTerm, statTerm, type StatPeriod, type StatTerm } from './statistics.ts';

/** Observations the mapper reads for the message itself rather than as readings. */
export type ObxRole = 'device_type' | 'device_model' | 'device_serial' | 'device_mfg' | 'session_time' | 'session_type';

// Older messages say MDC_IDC_PG_* where newer ones say MDC_IDC_DEV_*; the numeric codes are the same.
const ROLE_TERMS: ReadonlyArray<readonly [ObxRole, string, readonly string[]]> = [
  ['device_type', '720897', ['MDC_IDC_DEV_TYPE', 'MDC_IDC_PG_TYPE']],
  ['device_model', '720898', ['MDC_IDC_DEV_MODEL', 'MDC_IDC_PG_MODEL']],
  ['device_serial', '720899', ['MDC_IDC_DEV_SERIAL', 'MDC_IDC_PG_SERIAL']],
  ['device_mfg', '720900', ['MDC_IDC_DEV_MFG', 'MDC_IDC_PG_MFG']],
  ['session_time', '721025', ['MDC_IDC_SESS_DTM']],
  ['session_type', '721026', ['MDC_IDC_SESS_TYPE']],
];
const ROLES = new Map<string, ObxRole>();
for (const [role, code, refs] of ROLE_TERMS) {
  ROLES.set(code, role);
  for (const ref of refs) ROLES.set(ref, role);
}

export type ObxMeaning =
  /** `stat`: a statistic over a period (statistics.ts), not a measurement of the session. */
  | { readonly kind: 'metric'; readonly metric: MetricDef; readonly code: string; readonly stat?: StatTerm }
  | { readonly kind: 'role'; readonly role: ObxRole; readonly code: string }
  /** The start or end of a statistics period, read for the message. */
  | { readonly kind: 'period'; readonly period: StatPeriod; readonly edge: 'start' | 'end'; readonly code: string }
  | { readonly kind: 'unknown' };

export interface ObxCode {
  readonly meaning: ObxMeaning;
  /** Worth telling the sender, e.g. a truncated coding system that was read as MDC. */
  readonly note?: string;
}

/** `MDC`, truncated (`MD`, `M`), empty, or longer spellings such as `MDC_IDC`. */
function isMdcSystem(system: string): boolean {
  const s = system.trim().toUpperCase();
  return 'MDC'.startsWith(s) || s.startsWith('MDC') || s.includes('11073');
}

const looksLikeMdc = (text: string): boolean => /^\d{4,9}$/.test(text) || /^MDC_[A-Z0-9_]+$/i.test(text);

function meaningOf(candidate: string): ObxMeaning {
  const key = /^MDC_/i.test(candidate) ? candidate.toUpperCase() : candidate;
  const role = ROLES.get(key);
  if (role) return { kind: 'role', role, code: key };
  const metric = lookupMetric(key);
  if (metric) return { kind: 'metric', metric, code: key };
  const stat = statTerm(key);
  const statMetric = stat && lookupMetric(stat.metric);
  if (stat && statMetric) return { kind: 'metric', metric: statMetric, code: key, stat };
  const period = periodTerm(key);
  return period ? { kind: 'period', period: period.period, edge: period.edge, code: key } : { kind: 'unknown' };
}

/** What a meaning names, to tell two candidates of one OBX-3 apart. */
function named(m: ObxMeaning): string {
  switch (m.kind) {
    case 'metric': return `metric:${m.stat?.ref ?? m.metric.name}`;
    case 'role': return `role:${m.role}`;
    case 'period': return `period:${m.period}:${m.edge}`;
    case 'unknown': return 'unknown';
  }
}

/**
 * Resolve OBX-3. The identifier and text of an MDC triplet are both tried (numeric code
 * first: only numeric codes are guaranteed unique), then the alternate triplet. Under a
 * vendor-local coding system a vendor's own numbers are not trusted, but an `MDC_IDC_*`
 * reference id in the text is: it names itself.
 */
export function resolveCode(seg: Segment, enc: Encoding): ObxCode {
  const c = (n: number): string => value(seg, enc, 3, n).trim();
  const [id, text, system, altId, altText, altSystem] = [c(1), c(2), c(3), c(4), c(5), c(6)];
  const candidates: string[] = [];
  if (isMdcSystem(system)) candidates.push(id, text);
  else candidates.push(text);
  if (altSystem !== '' && isMdcSystem(altSystem)) candidates.push(altId, altText);
  else candidates.push(altText);

  let found: ObxMeaning = { kind: 'unknown' };
  let note: string | undefined;
  for (const candidate of candidates) {
    if (!looksLikeMdc(candidate)) continue;
    const meaning = meaningOf(candidate);
    if (meaning.kind === 'unknown') continue;
    if (found.kind === 'unknown') {
      found = meaning;
      continue;
    }
    if (named(found) !== named(meaning)) note = `OBX-3 ${JSON.stringify(readable(seg, enc, 3))} names two different terms; the first (${found.code}) was used`;
    break;
  }
  if (found.kind !== 'unknown' && note === undefined && system !== '' && system.toUpperCase() !== 'MDC' && isMdcSystem(system)) {
    note = `coding system ${JSON.stringify(system)} read as MDC`;
  }
  return note === undefined ? { meaning: found } : { meaning: found, note };
}

export type ValueFailure = 'bad_value' | 'unit_mismatch' | 'encapsulated_data' | 'no_value';

export type ValueOutcome =
  | { readonly ok: true; readonly value: number; readonly note?: string }
  | { readonly ok: false; readonly reason: ValueFailure; readonly detail: string };

/** A value bigger than this is not a number anyone meant; it is never unescaped or scanned. */
export const MAX_VALUE_CHARS = 4096;
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;
const ENCAPSULATED = new Set(['ED', 'RP']);
const TEXT_TYPES = new Set(['ST', 'TX', 'FT', 'NM', 'IS', 'ID']);
const CODED_TYPES = new Set(['CWE', 'CE', 'CNE', 'CF', 'CD']);
const TIME_TYPES = new Set(['DTM', 'TS', 'DT', 'TM', 'DR']);

export function isEncapsulated(valueType: string): boolean {
  return ENCAPSULATED.has(valueType.trim().toUpperCase());
}

function fail(reason: ValueFailure, detail: string): ValueOutcome {
  return { ok: false, reason, detail };
}

function numberFromText(text: string): number | undefined {
  const t = text.trim();
  return NUMBER.test(t) ? Number(t) : undefined;
}

/** What the IDC term itself says of its values, when it is not the metric's own code (statistics.ts). */
export interface TermUnit {
  /** The term's unit: an OBX without OBX-6 is read in it, then converted to the metric's. */
  readonly unit: string;
  /** A share of a period: outside 0-100 % it is not a value of the term. */
  readonly percent: boolean;
}

/** The number an OBX carries for `metric`, in the metric's vocabulary unit. */
export function readObservationValue(seg: Segment, enc: Encoding, metric: MetricDef, term?: TermUnit): ValueOutcome {
  const type = value(seg, enc, 2).trim().toUpperCase();
  if (ENCAPSULATED.has(type)) return fail('encapsulated_data', `${type} value (document or reference) is not a reading`);
  const raw5 = rawField(seg, 5);
  if (raw5.length > MAX_VALUE_CHARS) return fail('bad_value', `OBX-5 of ${raw5.length} characters is too long for a ${metric.name} value`);
  if (raw5.trim() === '') return fail('no_value', 'OBX-5 is empty');
  const reps = repetitions(raw5, enc).length;
  const note = reps > 1 ? `OBX-5 has ${reps} repetitions; the first was used` : undefined;
  const comp = (n: number): string => value(seg, enc, 5, n).trim();

  let number: number | undefined;
  if (TIME_TYPES.has(type)) return fail('bad_value', `a ${type} value cannot be ${metric.name}`);
  if (metric.name === 'battery_status') {
    const asNumber = numberFromText(comp(1));
    number = asNumber !== undefined && Number.isInteger(asNumber) && asNumber >= 1 && asNumber <= 4
      ? asNumber
      : batteryStatus([comp(1), comp(2), comp(4), comp(5)]);
    if (number === undefined) {
      return fail('bad_value', `battery status ${JSON.stringify(readable(seg, enc, 5))} is not BOS, MOS, ERI/RRT or EOS`);
    }
  } else if (type === 'SN') {
    // Structured numeric: only a plain `^3.5` or `=^3.5` is one number.
    const comparator = comp(1);
    if ((comparator === '' || comparator === '=') && comp(3) === '') number = numberFromText(comp(2));
  } else if (CODED_TYPES.has(type)) {
    return fail('bad_value', `a coded (${type}) value cannot be ${metric.name}`);
  } else if (TEXT_TYPES.has(type) || type === '') {
    number = numberFromText(comp(1));
  } else {
    return fail('bad_value', `value type ${JSON.stringify(type)} is not supported for ${metric.name}`);
  }
  if (number === undefined || !Number.isFinite(number)) {
    return fail('bad_value', `${JSON.stringify(readable(seg, enc, 5).slice(0, 80))} is not a number`);
  }
  const given = value(seg, enc, 6, 1).trim() || value(seg, enc, 6, 2).trim();
  const unit = given || term?.unit || '';
  if (term?.percent && unit === '%' && (number < 0 || number > 100)) {
    return fail('bad_value', `${number} % is not a share of the period (0 to 100 %)`);
  }
  const converted = metric.name === 'battery_status' && CODED_TYPES.has(type)
    ? { ok: true as const, value: number, assumed: false }
    : toVocabularyUnit(number, unit, metric);
  if (!converted.ok) return fail('unit_mismatch', converted.reason);
  const assumed = converted.assumed ? `no unit given; read as ${metric.unit}`
    : given === '' && term ? `no unit given; read as ${term.unit}, the term's unit` : undefined;
  const notes = [note, assumed].filter(Boolean);
  return notes.length > 0 ? { ok: true, value: converted.value, note: notes.join('; ') } : { ok: true, value: converted.value };
}
