// Matching alert episodes against the simulator's ground truth: which opening detects which
// event, which is explained by one. Pure: no engine, no IO, so every boundary can be tested
// with hand-made input. The counts are summed over seeds before any rate is taken (measures.ts).
import type { AlertKind } from '../../src/engine/index.ts';
import type { TruthEvent } from '../types.ts';
import type { AlertEpisode } from './episodes.ts';

const DAY_MS = 86_400_000;

/**
 * How far before a truth event's onset an alert still counts for it (`leadDays`) and how long
 * after its end (`graceDays`). Heart failure: the simulated onset is the first day the
 * impedance falls, but MID-HeFT puts the real start of the fall ~15 days before symptoms and
 * the day-to-day noise makes the exact start fuzzy, so 14 days. Other kinds: 1 day of
 * rounding. After the end, 2 days: a device-level event (VT/VF, shock, ERI) is reported by the
 * next transmission, which may come after the event's recorded end.
 */
export interface MatchRules {
  readonly leadDays: (kind: AlertKind) => number;
  readonly graceDays: (kind: AlertKind) => number;
}

export const DEFAULT_RULES: MatchRules = {
  leadDays: (kind) => (kind === 'hf_decompensation' ? 14 : 1),
  graceDays: (kind) => (kind === 'hf_decompensation' ? 0 : 2),
};

/** When the warning is measured to: the admission for heart failure, else the event's end. */
export function deadline(t: TruthEvent): number {
  const admission = t.params.admission;
  if (t.kind === 'hf_decompensation' && typeof admission === 'string') return Date.parse(admission);
  return Date.parse(t.end);
}

/**
 * The window in which an alert's opening DETECTS the event: [onset − lead, deadline + grace].
 * A look-alike has no lead: nothing before it can have been caused by it.
 */
export function detectWindow(t: TruthEvent, rules: MatchRules = DEFAULT_RULES): [number, number] {
  const lead = t.benign ? 0 : rules.leadDays(t.kind);
  return [Date.parse(t.onset) - lead * DAY_MS, deadline(t) + rules.graceDays(t.kind) * DAY_MS];
}

/**
 * The window in which an alert's opening is EXPLAINED by the event: as detectWindow, but up to
 * the event's end (+ grace). A heart-failure alert after the admission is late, so it is no
 * detection, but it is not unexplained either: the patient is decompensated.
 */
export function explainWindow(t: TruthEvent, rules: MatchRules = DEFAULT_RULES): [number, number] {
  const lead = t.benign ? 0 : rules.leadDays(t.kind);
  return [Date.parse(t.onset) - lead * DAY_MS, Math.max(deadline(t), Date.parse(t.end)) + rules.graceDays(t.kind) * DAY_MS];
}

const within = (at: number, [from, to]: [number, number]): boolean => at >= from && at <= to;

/** Raw counts of one kind on one cohort, or summed over several; rates come from these. */
export interface KindTally {
  readonly kind: AlertKind | 'all kinds';
  /** Non-benign truth events, and how many an opening detected. */
  readonly events: number;
  readonly detected: number;
  /** Alert openings, re-openings included, and those explained by a non-benign event. */
  readonly openings: number;
  readonly explained: number;
  /** Days from the first detecting opening to the deadline, one per detected event. */
  readonly warnings: readonly number[];
  readonly benignEvents: number;
  /** Look-alikes with an opening of their kind within their window. */
  readonly benignAlerted: number;
  /** Patient-days of the patients who can have the kind, and of all patients. */
  readonly eligiblePatientDays: number;
  readonly patientDays: number;
}

export interface Exposure {
  readonly days: number;
  /** All patients, and those whose device can raise the kind (kinds.ts). */
  readonly patients: number;
  readonly eligiblePatients: number;
}

function groupByDevice<T extends { device: string }>(items: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const x of items) {
    const list = out.get(x.device);
    if (list) list.push(x);
    else out.set(x.device, [x]);
  }
  return out;
}

/**
 * The counts of one alert kind over one cohort. An opening inside a look-alike's window is
 * not explained: the look-alike is exactly what the engine should have ignored. An opening
 * on a patient outside the kind's eligible group still counts, against the eligible exposure.
 */
export function tallyKind(
  kind: AlertKind,
  truth: readonly TruthEvent[],
  episodes: readonly AlertEpisode[],
  exposure: Exposure,
  rules: MatchRules = DEFAULT_RULES,
): KindTally {
  const events = truth.filter((t) => t.kind === kind);
  const mine = episodes.filter((e) => e.kind === kind);
  const byDevice = groupByDevice(mine);
  const real = events.filter((t) => !t.benign);
  const benign = events.filter((t) => t.benign);

  const warnings: number[] = [];
  for (const t of real) {
    const w = detectWindow(t, rules);
    const hits = (byDevice.get(t.device) ?? []).filter((e) => within(e.openedAt, w));
    if (hits.length === 0) continue;
    const first = Math.min(...hits.map((e) => e.openedAt));
    warnings.push((deadline(t) - first) / DAY_MS);
  }

  const realByDevice = groupByDevice(real);
  const explained = mine.filter((e) =>
    (realByDevice.get(e.device) ?? []).some((t) => within(e.openedAt, explainWindow(t, rules)))).length;

  const benignAlerted = benign.filter((t) =>
    (byDevice.get(t.device) ?? []).some((e) => within(e.openedAt, detectWindow(t, rules)))).length;

  return {
    kind,
    events: real.length,
    detected: warnings.length,
    openings: mine.length,
    explained,
    warnings,
    benignEvents: benign.length,
    benignAlerted,
    eligiblePatientDays: exposure.eligiblePatients * exposure.days,
    patientDays: exposure.patients * exposure.days,
  };
}
