// One alert per problem: at most one open alert per device and kind. A finding of a kind the
// engine holds open becomes an 'update' (priority only ever raised); resolution comes from a
// clinician, reported back through acknowledgeResolved. A condition that is still present when
// a clinician resolves its alert (an elective-replacement battery, a lead out of range,
// persistent AF) is the same problem, not a new one: it opens again only once it has been
// absent for rearmDays, or when it worsens to a higher priority. Ventricular episodes and shocks
// are events, each one new.
import type { EngineConfig } from './config.ts';
import { dayOf } from './time.ts';
import type { AlertDecision, AlertKind, DeviceState, EngineReading, Finding, Priority } from './types.ts';

const RANK: Record<Priority, number> = { low: 0, medium: 1, high: 2 };

const EVENT_KINDS: ReadonlySet<AlertKind> = new Set(['ventricular_arrhythmia', 'shock_delivered']);

export function higher(a: Priority, b: Priority): Priority {
  return RANK[a] >= RANK[b] ? a : b;
}

/** The decision a finding makes, or null when it continues a condition a clinician has resolved. */
export function decide(
  state: DeviceState, finding: Finding, reading: EngineReading, score: number, config: EngineConfig,
): AlertDecision | null {
  const kind = finding.kind;
  const held = state.open[kind];
  const day = dayOf(reading.at);
  const previous = state.lastFinding[kind];
  state.lastFinding[kind] = day;
  const resolved = state.resolved[kind];
  if (!held && resolved !== undefined) {
    const continuing = previous !== undefined && day - previous <= config.rearmDays;
    if (continuing && RANK[finding.priority] <= RANK[resolved]) return null;
    delete state.resolved[kind];
  }
  const priority = held ? higher(held, finding.priority) : finding.priority;
  state.open[kind] = priority;
  return {
    kind,
    priority,
    action: held ? 'update' : 'open',
    trigger: { seq: reading.seq, metric: reading.metric, value: reading.value, at: reading.at },
    summary: finding.summary,
    evidence: finding.evidence,
    score: finding.score ?? score,
  };
}

/**
 * The service calls this when a clinician resolves the device's alert of `kind`; the next
 * trigger of that kind then opens a new alert, unless it continues the same condition (above).
 * Like processReading it updates the state in place and returns it.
 */
export function acknowledgeResolved(state: DeviceState, kind: AlertKind): DeviceState {
  const held = state.open[kind];
  delete state.open[kind];
  if (held !== undefined && !EVENT_KINDS.has(kind)) state.resolved[kind] = held;
  return state;
}
