// One alert per problem: at most one open alert per device and kind. A finding of a kind the
// engine holds open becomes an 'update' (priority only ever raised); resolution comes from a
// clinician, reported back through acknowledgeResolved.
import type { AlertDecision, AlertKind, DeviceState, EngineReading, Finding, Priority } from './types.ts';

const RANK: Record<Priority, number> = { low: 0, medium: 1, high: 2 };

export function higher(a: Priority, b: Priority): Priority {
  return RANK[a] >= RANK[b] ? a : b;
}

export function decide(state: DeviceState, finding: Finding, reading: EngineReading, score: number): AlertDecision {
  const held = state.open[finding.kind];
  const priority = held ? higher(held, finding.priority) : finding.priority;
  state.open[finding.kind] = priority;
  return {
    kind: finding.kind,
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
 * trigger of that kind then opens a new alert. Like processReading it updates the state in
 * place and returns it.
 */
export function acknowledgeResolved(state: DeviceState, kind: AlertKind): DeviceState {
  delete state.open[kind];
  return state;
}
