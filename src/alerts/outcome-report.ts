// The outcome report of a site, pure: per alert kind, how many alerts were raised and
// resolved, what the resolved ones turned out to be, and the positive predictive value
// (true outcomes over resolved alerts with an outcome) with its Wilson 95 % interval.
import { ALERT_KINDS } from '../domain/alert-kinds.ts';
import { OUTCOMES, TRUE_OUTCOMES, isOutcome, type Outcome } from '../domain/outcomes.ts';
import { ServiceError } from '../errors.ts';
import { parseRfc3339 } from './lifecycle.ts';

/** One group of the report's query: alerts of one kind, resolved or not, with one outcome (or none). */
export interface OutcomeCount {
  readonly kind: string;
  readonly resolved: boolean;
  readonly outcome: string | null;
  readonly count: number;
}

export interface OutcomeFigures {
  readonly raised: number;
  readonly resolved: number;
  readonly outcomes: Readonly<Record<Outcome, number>>;
  /** Resolved alerts whose outcome nobody has recorded. */
  readonly withoutOutcome: number;
  /** True outcomes / resolved alerts with an outcome; null when none has one. */
  readonly ppv: number | null;
  readonly ppvLow: number | null;
  readonly ppvHigh: number | null;
}

export interface OutcomeReport {
  /** Kinds with at least one alert raised in the period, in the contract's order. */
  readonly kinds: Array<OutcomeFigures & { readonly kind: string }>;
  readonly total: OutcomeFigures;
}

/** The two-sided 95 % normal quantile. */
const Z = 1.959963984540054;
const round3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * The Wilson score interval of `x` successes in `n` trials: unlike the normal approximation
 * it stays within 0..1 and is not empty at 0 or n, which matters with a handful of alerts.
 */
export function wilson(x: number, n: number): { low: number; high: number } | null {
  if (n <= 0) return null;
  const p = x / n;
  const z2 = Z * Z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (Z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return { low: round3(Math.max(0, centre - half)), high: round3(Math.min(1, centre + half)) };
}

function figures(groups: readonly OutcomeCount[]): OutcomeFigures {
  const outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  let raised = 0;
  let resolved = 0;
  let withoutOutcome = 0;
  for (const g of groups) {
    raised += g.count;
    if (!g.resolved) continue;
    resolved += g.count;
    if (isOutcome(g.outcome)) outcomes[g.outcome] += g.count;
    else withoutOutcome += g.count;
  }
  const judged = resolved - withoutOutcome;
  const truePositive = OUTCOMES.filter((o) => TRUE_OUTCOMES.has(o)).reduce((s, o) => s + outcomes[o], 0);
  const interval = wilson(truePositive, judged);
  return {
    raised, resolved, outcomes, withoutOutcome,
    ppv: judged > 0 ? round3(truePositive / judged) : null,
    ppvLow: interval?.low ?? null,
    ppvHigh: interval?.high ?? null,
  };
}

/** The report from the query's groups. A kind outside the contract's (none should exist) is kept under its own name. */
export function outcomeReport(groups: readonly OutcomeCount[]): OutcomeReport {
  const byKind = new Map<string, OutcomeCount[]>();
  for (const g of groups) {
    if (g.count <= 0) continue;
    const list = byKind.get(g.kind) ?? [];
    list.push(g);
    byKind.set(g.kind, list);
  }
  const order = (k: string) => {
    const i = (ALERT_KINDS as readonly string[]).indexOf(k);
    return i < 0 ? ALERT_KINDS.length : i;
  };
  const kinds = [...byKind.keys()].sort((a, b) => order(a) - order(b) || a.localeCompare(b));
  return { kinds: kinds.map((kind) => ({ kind, ...figures(byKind.get(kind)!) })), total: figures(groups.filter((g) => g.count > 0)) };
}

export interface ReportQuery {
  readonly site: string | null;
  /** ms since the epoch; null: open. `to` is exclusive. */
  readonly from: number | null;
  readonly to: number | null;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A bound: a date (its midnight, UTC) or an RFC 3339 date-time with an offset. */
function parseBound(name: string, raw: string | undefined): number | null {
  if (raw === undefined || raw === '') return null;
  const ms = parseRfc3339(DATE.test(raw) ? `${raw}T00:00:00Z` : raw);
  if (ms === null) throw new ServiceError('bad_message', `${name} must be a date (2026-03-01) or an RFC 3339 date-time with an offset`);
  return ms;
}

/** The report's query parameters; `to` must come after `from`. */
export function parseReportQuery(q: { site?: string; from?: string; to?: string }): ReportQuery {
  const from = parseBound('from', q.from);
  const to = parseBound('to', q.to);
  if (from !== null && to !== null && to <= from) throw new ServiceError('bad_message', 'to must be after from');
  return { site: q.site === undefined || q.site === '' ? null : q.site, from, to };
}
