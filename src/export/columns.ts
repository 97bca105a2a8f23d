// The columns of timeline export v1 (the export contract, version 1), in file order.
// docs/export.md is the data dictionary of these; CSV and NDJSON carry the same ones.

export const EVENTS = [
  'enrolled',
  'alert_opened', 'alert_updated', 'alert_acknowledged', 'alert_assigned', 'alert_escalated', 'alert_resolved', 'alert_outcome',
  'risk_changed',
  'episode',
  'battery_status',
  'connectivity_lost', 'connectivity_restored',
  'reading',
] as const;
export type ExportEventName = (typeof EVENTS)[number];

export type ColumnType = 'string' | 'timestamp' | 'number' | 'integer';

export interface Column {
  readonly name: string;
  readonly type: ColumnType;
  /** The events that fill it; empty (CSV) or null (NDJSON) on the others. */
  readonly events: readonly ExportEventName[] | 'all';
  readonly meaning: string;
}

const ALERT_EVENTS = EVENTS.filter((e) => e.startsWith('alert_'));

export const COLUMNS = [
  { name: 'subject', type: 'string', events: 'all', meaning: 'pseudonym of the patient: HMAC-SHA256 of the internal patient id under the export key, first 32 hex digits' },
  { name: 'at', type: 'timestamp', events: 'all', meaning: "when the event happened, shifted by the subject's date shift (UTC, RFC 3339 with milliseconds; .000 in seconds mode)" },
  { name: 'event', type: 'string', events: 'all', meaning: 'what happened: one of the event names' },
  { name: 'device_type', type: 'string', events: ['enrolled'], meaning: 'pacemaker, icd, crt_d, crt_p, loop_recorder or unknown; * when withheld (small cells)' },
  { name: 'site', type: 'string', events: ['enrolled'], meaning: "code of the subject's site; * when withheld (small cells)" },
  { name: 'sex', type: 'string', events: ['enrolled'], meaning: 'female, male, other or unknown; * when withheld (small cells)' },
  { name: 'age_band', type: 'string', events: ['enrolled'], meaning: 'age at enrolment in 5-year bands (0-4 ... 85-89), 90+ as one band; widened to 10-year (0-9 ... 80-89, 90+) or 20-year bands (0-19 ... 60-79, 80+), or *, for small cells' },
  { name: 'alert', type: 'string', events: [...ALERT_EVENTS, 'connectivity_lost', 'connectivity_restored'], meaning: 'pseudonym of the alert (16 hex digits, keyed like subject): links the events of one alert; empty for a past silence no alert was raised for' },
  { name: 'kind', type: 'string', events: [...ALERT_EVENTS, 'connectivity_lost', 'connectivity_restored'], meaning: 'alert kind (alerts contract v1), e.g. hf_decompensation, connectivity_loss' },
  { name: 'priority', type: 'string', events: ALERT_EVENTS, meaning: 'low, medium or high: as raised for alert_opened / alert_updated, the alert’s current one otherwise' },
  { name: 'resolution', type: 'string', events: ['alert_resolved'], meaning: 'actioned, not_actionable, patient_contacted, duplicate or other' },
  { name: 'actor_role', type: 'string', events: ALERT_EVENTS, meaning: 'role of who took the step: clinician, admin, analyst, or system (the engine, escalation)' },
  { name: 'status', type: 'string', events: ['risk_changed', 'battery_status'], meaning: 'new status: Low / Medium / High (risk); beginning_of_service, middle_of_service, elective_replacement, end_of_service (battery)' },
  { name: 'previous', type: 'string', events: ['risk_changed', 'battery_status'], meaning: 'status before the change (empty for the first battery status a device reports)' },
  { name: 'score', type: 'number', events: ['risk_changed'], meaning: 'daily heart-failure risk score, 0..1' },
  { name: 'metric', type: 'string', events: ['episode', 'reading'], meaning: 'metric name (docs/ingest-protocol.md): vt_episodes, vf_episodes, atp_delivered, shocks_delivered for episodes' },
  { name: 'count', type: 'integer', events: ['episode'], meaning: 'episodes, ATP therapies or shocks reported (since the previous report)' },
  { name: 'value', type: 'number', events: ['reading'], meaning: "the reading's value, in the metric's unit" },
  // Last, so the columns before it keep their places in files read by position.
  { name: 'outcome', type: 'string', events: ['alert_resolved', 'alert_outcome'], meaning: 'what the alert turned out to be (docs/alerts.md, "Outcomes"): confirmed_treated, confirmed_no_change, other_cause, non_adherence, known_condition, artefact or no_action_needed; empty when not recorded with the step. An alert’s outcome is that of its latest alert_resolved or alert_outcome row' },
] as const satisfies readonly Column[];

export type ColumnName = (typeof COLUMNS)[number]['name'];
export const COLUMN_NAMES: readonly ColumnName[] = COLUMNS.map((c) => c.name);

/** One exported row: every column, null where the event does not fill it. */
export type ExportRow = { readonly [K in ColumnName]: string | number | null };
