// Rows of the export query -> rows of the timeline, pure. Every value that leaves is
// either computed here (pseudonyms, shifted times, bands) or checked against a closed
// vocabulary, so free text that found its way into the source cannot reach a file.
import type { SourceRow } from '../domain/export-rows.ts';
import { metricById } from '../domain/vocabulary.ts';
import { ALERT_KINDS } from '../domain/alert-kinds.ts';
import { OUTCOMES } from '../domain/outcomes.ts';
import { RESOLUTIONS as CONTRACT_RESOLUTIONS } from '../domain/alerts.ts';
import type { ExportEventName, ExportRow } from './columns.ts';
import { ageBand, shiftTime, type Deidentifier } from './deidentify.ts';
import type { CellPlan, QuasiIdentifiers } from './small-cells.ts';

export type { SourceRow } from '../domain/export-rows.ts';

/** What one export keeps: its window on the shifted (exported) clock (ms, `to` exclusive), and its site codes. */
export interface ExportScope {
  readonly from: number | null;
  readonly to: number | null;
  readonly sites: ReadonlySet<string>;
  /** Small-cell protection of the `enrolled` values (small-cells.ts); none: written as they are. */
  readonly cells?: CellPlan | null;
}

export const DEVICE_TYPES = new Set(['pacemaker', 'icd', 'crt_d', 'crt_p', 'loop_recorder', 'unknown']);
export const SEXES = new Set(['female', 'male', 'other', 'unknown']);
export const PRIORITIES = new Set(['low', 'medium', 'high']);
export const RESOLUTIONS: ReadonlySet<string> = new Set(CONTRACT_RESOLUTIONS);
export const ROLES = new Set(['clinician', 'admin', 'analyst']);
export const OUTCOME_SET = new Set<string>(OUTCOMES);
/** Alert events that carry an outcome. */
export const OUTCOME_EVENTS = new Set<string>(['alert_resolved', 'alert_outcome']);
export const RISK = new Set(['Low', 'Medium', 'High']);
const KINDS = new Set<string>(ALERT_KINDS);
export const BATTERY_STATUS: Readonly<Record<number, string>> = {
  1: 'beginning_of_service', 2: 'middle_of_service', 3: 'elective_replacement', 4: 'end_of_service',
};
export const EPISODE_METRICS = ['vt_episodes', 'vf_episodes', 'atp_delivered', 'shocks_delivered'] as const;

export const ALERT_EVENTS = new Set<string>(['alert_opened', 'alert_updated', 'alert_acknowledged', 'alert_assigned', 'alert_escalated', 'alert_resolved', 'alert_outcome']);

export const oneOf = (set: ReadonlySet<string>, v: string | null): string | null => (v !== null && set.has(v) ? v : null);
export const kindOf = (v: string | null): string | null => (v !== null && KINDS.has(v) ? v : v === null ? null : 'other');
export const num = (v: number | null): number | null => (v !== null && Number.isFinite(v) ? v : null);

/** The quasi-identifiers of an `enrolled` source row, each checked against its vocabulary. */
export function enrolledValues(deviceType: string | null, site: string | null, sex: string | null, age: number | null, sites: ReadonlySet<string>): QuasiIdentifiers {
  return { device_type: oneOf(DEVICE_TYPES, deviceType) ?? 'unknown', site: oneOf(sites, site), sex: oneOf(SEXES, sex) ?? 'unknown', age_band: ageBand(age) };
}

const EMPTY = {
  device_type: null, site: null, sex: null, age_band: null, alert: null, kind: null, priority: null,
  resolution: null, actor_role: null, status: null, previous: null, score: null, metric: null, count: null, value: null, outcome: null,
} as const;

/**
 * The exported row for one source row, or null when the event falls outside the window
 * (on the shifted clock) or is not a timeline event. `enrolled` rows are kept whatever
 * the window: they describe the subject, and a rate needs every subject at risk.
 */
export function toExportRow(row: SourceRow, deid: Deidentifier, scope: ExportScope): ExportRow | null {
  const subject = deid.subject(row.patient_id);
  const t = shiftTime(row.t, subject);
  const event = row.event as ExportEventName;
  if (event !== 'enrolled' && ((scope.from !== null && t < scope.from) || (scope.to !== null && t >= scope.to))) return null;
  const base = { subject: subject.id, at: new Date(t).toISOString(), event };
  if (ALERT_EVENTS.has(event)) {
    return {
      ...base, ...EMPTY,
      alert: row.ref === null ? null : deid.alert(row.ref),
      kind: kindOf(row.s1),
      priority: oneOf(PRIORITIES, row.s2),
      resolution: event === 'alert_resolved' ? oneOf(RESOLUTIONS, row.s3) : null,
      actor_role: row.s4 === null ? 'system' : (oneOf(ROLES, row.s4) ?? 'other'),
      outcome: OUTCOME_EVENTS.has(event) ? oneOf(OUTCOME_SET, row.s5 ?? null) : null,
    };
  }
  switch (event) {
    case 'enrolled': {
      const q = enrolledValues(row.s1, row.s2, row.s3, row.n1, scope.sites);
      return { ...base, ...EMPTY, ...(scope.cells ? scope.cells.apply(row.patient_id, q) : q) };
    }
    case 'risk_changed':
      return { ...base, ...EMPTY, status: oneOf(RISK, row.s1), previous: oneOf(RISK, row.s2), score: num(row.n1) };
    case 'episode': {
      const name = row.n2 === null ? undefined : metricById(row.n2)?.name;
      return { ...base, ...EMPTY, metric: name ?? null, count: num(row.n1) };
    }
    case 'battery_status':
      return {
        ...base, ...EMPTY,
        status: row.n1 === null ? null : (BATTERY_STATUS[row.n1] ?? null),
        previous: row.n2 === null ? null : (BATTERY_STATUS[row.n2] ?? null),
      };
    case 'connectivity_lost':
    case 'connectivity_restored':
      return { ...base, ...EMPTY, alert: row.ref === null ? null : deid.alert(row.ref), kind: 'connectivity_loss' };
    case 'reading': {
      const name = row.n2 === null ? undefined : metricById(row.n2)?.name;
      return { ...base, ...EMPTY, metric: name ?? null, value: num(row.n1) };
    }
    default:
      return null;
  }
}
