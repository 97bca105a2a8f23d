// The queue's filters and grouping, pure: functions of the alerts, the filters and what the
// page knows of each patient. No DOM, no clock (`now` comes in), so they are unit-tested.

const RANK = { high: 0, medium: 1, low: 2 };

/** Priority, then escalated first, then the alert waiting longest. @param {any} a @param {any} b */
export function queueOrder(a, b) {
  return (RANK[a.priority] ?? 3) - (RANK[b.priority] ?? 3)
    || (b.escalationLevel ?? 0) - (a.escalationLevel ?? 0)
    || compare(a.raisedAt, b.raisedAt)
    || compare(a.id, b.id);
}

// ISO times and alert ids compare as plain strings; localeCompare is many times slower, which
// tells when 2,000 alerts are sorted on every render.
/** @param {string} x @param {string} y */
const compare = (x, y) => (x < y ? -1 : x > y ? 1 : 0);

/** @param {any} a @param {number} now */
export const isSnoozed = (a, now) => a.snoozedUntil !== null && new Date(a.snoozedUntil).getTime() > now && a.status !== 'resolved';

/** Values of the HF risk filter: the risk badge's words, and no score at all. */
export const RISK_FILTERS = [['high', 'HF High'], ['medium', 'HF Medium'], ['low', 'HF Low'], ['insufficient', 'HF Insufficient data'], ['none', 'No HF risk yet']];

/**
 * @typedef {{ priority: string, kind: string, status: string, assignee: string, snoozed: boolean,
 *   risk: string, type: string, site: string }} Filters
 * assignee: '' anyone, 'me', 'none' (unassigned) or a clinician's email.
 */

/** The filters as the address gives them; `mine=1` (older bookmarks) means assignee=me. @param {string} search @returns {Filters} */
export function parseFilters(search) {
  const q = new URLSearchParams(search);
  return {
    priority: q.get('priority') ?? '',
    kind: q.get('kind') ?? '',
    status: q.get('status') ?? 'active',
    assignee: q.get('assignee') ?? (q.get('mine') === '1' ? 'me' : ''),
    snoozed: q.get('snoozed') === '1',
    risk: q.get('risk') ?? '',
    type: q.get('type') ?? '',
    site: q.get('site') ?? '',
  };
}

/** The address's query for `f`, defaults left out. @param {Filters} f @returns {Record<string, string>} */
export function filterParams(f) {
  return {
    priority: f.priority, kind: f.kind, status: f.status === 'active' ? '' : f.status, assignee: f.assignee,
    snoozed: f.snoozed ? '1' : '', risk: f.risk, type: f.type, site: f.site,
  };
}

/**
 * What the page knows of the patient behind an alert (from the patient list).
 * @typedef {{ risk: (patientId: string | null) => { status: string, insufficientData?: boolean } | null,
 *   deviceType: (patientId: string | null, serial: string) => string | null }} PatientInfo
 */

/** The HF risk filter's value for a patient's risk. @param {{ status: string, insufficientData?: boolean } | null} risk */
export function riskKey(risk) {
  if (!risk) return 'none';
  if (risk.status === 'Low' && risk.insufficientData) return 'insufficient';
  return risk.status.toLowerCase();
}

/**
 * Whether `a` passes every filter but the snooze one (counted apart: the count line says
 * how many snoozed alerts are hidden).
 * @param {any} a @param {Filters} f @param {string | null} myEmail @param {PatientInfo} info
 */
export function matches(a, f, myEmail, info) {
  if (f.status === 'active' ? a.status === 'resolved' : a.status !== f.status) return false;
  if (f.priority && a.priority !== f.priority) return false;
  if (f.kind && a.kind !== f.kind) return false;
  if (f.site && a.site !== f.site) return false;
  if (f.assignee === 'me' && (!myEmail || a.assignee !== myEmail)) return false;
  if (f.assignee === 'none' && a.assignee !== null) return false;
  if (f.assignee && f.assignee !== 'me' && f.assignee !== 'none' && a.assignee !== f.assignee) return false;
  if (f.risk && riskKey(info.risk(a.patientId)) !== f.risk) return false;
  // A device not enrolled has no recorded type: it counts as unknown.
  if (f.type && (info.deviceType(a.patientId, a.device) ?? 'unknown') !== f.type) return false;
  return true;
}

/**
 * Alerts grouped by patient, each group its alerts in queue order (the worst first), the
 * groups in the queue order of their worst alert. An alert of a device enrolled to no one
 * is a group of its own.
 * @param {any[]} alerts @returns {{ key: string, patientId: string | null, alerts: any[] }[]}
 */
export function groupByPatient(alerts) {
  /** @type {Map<string, { key: string, patientId: string | null, alerts: any[] }>} */
  const groups = new Map();
  for (const a of alerts) {
    const key = a.patientId ? `p:${a.patientId}` : `a:${a.id}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { key, patientId: a.patientId ?? null, alerts: [] }));
    g.alerts.push(a);
  }
  const list = [...groups.values()];
  for (const g of list) g.alerts.sort(queueOrder);
  return list.sort((x, y) => queueOrder(x.alerts[0], y.alerts[0]));
}

/** Distinct non-empty values, sorted. @param {Iterable<string | null | undefined>} values */
export function distinct(values) {
  const s = new Set();
  for (const v of values) if (v) s.add(v);
  return [...s].sort((a, b) => a.localeCompare(b));
}
