import { DAY_MS, rfc3339 } from '../time.ts';
import type { AlertKind, ScenarioName, TruthEvent } from '../types.ts';
import type { Params, PlanContext } from './types.ts';

/** Builds a ground-truth record; onset and end are day indexes or exact epoch times. */
export function truthOf(
  ctx: PlanContext,
  scenario: ScenarioName,
  kind: AlertKind,
  benign: boolean,
  onset: { day: number } | { ms: number },
  end: { day: number } | { ms: number },
  params: Params,
): TruthEvent {
  const ms = (t: { day: number } | { ms: number }): number =>
    'ms' in t ? t.ms : ctx.start + Math.min(t.day, ctx.days) * DAY_MS;
  return {
    patientId: ctx.patient.id,
    device: ctx.patient.device,
    site: ctx.patient.site,
    kind,
    scenario,
    benign,
    onset: rfc3339(ms(onset)),
    end: rfc3339(ms(end)),
    params,
  };
}
