// The statistics of an IDCO message (MDC_IDC_STAT_*) that the vocabulary has a metric for, and
// the periods they were counted over. A device keeps these statistics from its last reset
// (usually an in-clinic session) until the interrogation that reports them: AT/AF burden and
// pacing percentages are shares of that whole period, not of a day. Pure.
//
// Terms, numeric codes and units are IEEE 11073-10103 (MDC IDC) as the iCARDEA project's
// implementation of the nomenclature lists them (its term table and its full IDCO example
// message); docs/idco.md names the source of each and the terms left unmapped.

/** Which statistics period a term belongs to; `stat` is the message-wide MDC_IDC_STAT_DTM_*. */
export type StatPeriod = 'stat' | 'brady' | 'at' | 'crt' | 'heart_rate';

export interface StatTerm {
  readonly code: string;
  readonly ref: string;
  /** Vocabulary metric the statistic is a reading of. */
  readonly metric: string;
  /** The term's own unit (UCUM): an OBX without OBX-6 is read in it. */
  readonly unit: string;
  /** A share of the period, 0 to 100 %: anything else is not a value of the term. */
  readonly percent: boolean;
  readonly period: StatPeriod;
  /** Used only when the message has no OBX of this other term (same metric, preferred). */
  readonly fallbackFor?: string;
}

const TERMS: readonly StatTerm[] = [
  // Percentage of the period in atrial tachyarrhythmia; af_burden is hours a day, so
  // percent × 24 / 100 (the mean over the period; units.ts converts % to h/d).
  { code: '737696', ref: 'MDC_IDC_STAT_AT_BURDEN_PERCENT', metric: 'af_burden', unit: '%', percent: true, period: 'at' },
  { code: '737536', ref: 'MDC_IDC_STAT_BRADY_RV_PERCENT_PACED', metric: 'rv_pacing_pct', unit: '%', percent: true, period: 'brady' },
  { code: '737808', ref: 'MDC_IDC_STAT_CRT_PERCENT_PACED', metric: 'crt_pacing_pct', unit: '%', percent: true, period: 'crt' },
  // LV pacing is CRT pacing for a device that reports no CRT percentage (LV-only CRT).
  { code: '737792', ref: 'MDC_IDC_STAT_CRT_LV_PERCENT_PACED', metric: 'crt_pacing_pct', unit: '%', percent: true, period: 'crt', fallbackFor: 'MDC_IDC_STAT_CRT_PERCENT_PACED' },
  { code: '737651', ref: 'MDC_IDC_STAT_HEART_RATE_VENTRICULAR_MEAN', metric: 'heart_rate', unit: '/min', percent: false, period: 'heart_rate' },
];

// The period of each group of statistics: its start and end (DTM), read for the message.
const PERIODS: ReadonlyArray<readonly [StatPeriod, string, string, string]> = [
  ['stat', 'MDC_IDC_STAT', '737489', '737490'],
  ['brady', 'MDC_IDC_STAT_BRADY', '737505', '737506'],
  ['at', 'MDC_IDC_STAT_AT', '737665', '737666'],
  ['crt', 'MDC_IDC_STAT_CRT', '737777', '737778'],
  ['heart_rate', 'MDC_IDC_STAT_HEART_RATE', '737617', '737618'],
];

export interface PeriodTerm {
  readonly period: StatPeriod;
  readonly edge: 'start' | 'end';
  readonly ref: string;
}

const BY_KEY = new Map<string, StatTerm>();
for (const t of TERMS) {
  BY_KEY.set(t.code, t);
  BY_KEY.set(t.ref, t);
}
// Some senders and report tools spell the burden term with AT/AF; the code is the same term.
BY_KEY.set('MDC_IDC_STAT_ATAF_BURDEN_PERCENT', BY_KEY.get('737696')!);

const PERIOD_BY_KEY = new Map<string, PeriodTerm>();
for (const [period, prefix, start, end] of PERIODS) {
  for (const [code, edge] of [[start, 'start'], [end, 'end']] as const) {
    const t = { period, edge, ref: `${prefix}_DTM_${edge.toUpperCase()}` };
    PERIOD_BY_KEY.set(code, t);
    PERIOD_BY_KEY.set(t.ref, t);
  }
}

/** The statistic a code or reference id (upper case) names, if the vocabulary has a metric for it. */
export function statTerm(key: string): StatTerm | undefined {
  return BY_KEY.get(key);
}

/** The statistics period start or end a code or reference id (upper case) names. */
export function periodTerm(key: string): PeriodTerm | undefined {
  return PERIOD_BY_KEY.get(key);
}

/** Epoch ms of 1990-01-01: no implanted device reports statistics, or was implanted, before it. */
export const EARLIEST_PLAUSIBLE = Date.UTC(1990, 0, 1);
/** How far past the interrogation a period end or an implant date may lie (clock and zone slips). */
export const PAST_REPORT_SLACK_MS = 24 * 3600_000;

export interface Period {
  start?: number;
  end?: number;
}

/**
 * The end of a statistics period when it can be believed: after 1990, not before its start,
 * and not after the interrogation that reports it (`reportAt`, when known). Otherwise
 * undefined and a sentence saying why.
 */
export function periodEnd(p: Period | undefined, reportAt: number | undefined): { end?: number; problem?: string } {
  if (p?.end === undefined) return {};
  const show = (ms: number): string => new Date(ms).toISOString().slice(0, 19) + 'Z';
  if (p.end < EARLIEST_PLAUSIBLE) return { problem: `statistics period end ${show(p.end)} is before 1990; not used` };
  if (p.start !== undefined && p.end < p.start) return { problem: `statistics period ends (${show(p.end)}) before it starts (${show(p.start)}); not used` };
  if (reportAt !== undefined && p.end > reportAt + PAST_REPORT_SLACK_MS) {
    return { problem: `statistics period end ${show(p.end)} is after the interrogation that reports it; not used` };
  }
  return { end: p.end };
}
