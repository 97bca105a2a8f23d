// Labels and dates as people read them. Pure functions of their arguments.

/** @type {Record<string, string>} */
export const KIND_LABELS = {
  ventricular_arrhythmia: 'Ventricular arrhythmia',
  shock_delivered: 'Shock delivered',
  lead_integrity: 'Lead integrity',
  capture_threshold: 'Capture threshold',
  battery: 'Battery',
  af_burden: 'AF burden',
  af_fast_ventricular_rate: 'AF with fast ventricular rate',
  crt_pacing_loss: 'CRT pacing loss',
  hf_decompensation: 'Heart failure decompensation',
  connectivity_loss: 'Connectivity loss',
};

export const PRIORITIES = /** @type {const} */ (['high', 'medium', 'low']);
/** @type {Record<string, string>} */
export const PRIORITY_LABELS = { high: 'High', medium: 'Medium', low: 'Low' };
/** @type {Record<string, string>} */
export const STATUS_LABELS = { open: 'Open', acknowledged: 'Acknowledged', resolved: 'Resolved' };
/** @type {Record<string, string>} */
export const RESOLUTION_LABELS = {
  actioned: 'Actioned',
  not_actionable: 'Not actionable',
  patient_contacted: 'Patient contacted',
  duplicate: 'Duplicate',
  other: 'Other',
};
/** What a resolved alert turned out to be (src/domain/outcomes.ts keeps the same list). @type {Record<string, string>} */
export const OUTCOME_LABELS = {
  confirmed_treated: 'Confirmed, treated (e.g. diuretics changed, therapy given)',
  confirmed_no_change: 'Confirmed, no change to treatment',
  other_cause: 'Another cause (e.g. infection, pneumonia)',
  non_adherence: 'Non-adherence (medication, diet, fluids)',
  known_condition: 'Known condition, already managed',
  artefact: 'Artefact or false alert (device, lead, sensing)',
  no_action_needed: 'Not clinically significant, no action needed',
};
/** @type {Record<string, string>} */
export const CHANGE_LABELS = {
  opened: 'Opened',
  updated: 'Triggered again',
  acknowledged: 'Acknowledged',
  resolved: 'Resolved',
  assigned: 'Assigned',
  snoozed: 'Snoozed',
  commented: 'Comment',
  escalated: 'Escalated',
  outcome: 'Outcome recorded',
};

/** @type {Record<string, string>} */
const METRIC_LABELS = {
  heart_rate: 'Heart rate',
  night_heart_rate: 'Night heart rate',
  activity: 'Activity',
  hrv_sdaam: 'Heart rate variability (SDAAM)',
  thoracic_impedance: 'Thoracic impedance',
  fluid_index: 'Fluid index',
  respiratory_rate: 'Respiratory rate',
  af_burden: 'AF burden',
  af_ventricular_rate: 'Ventricular rate in AF',
  rv_pacing_pct: 'RV pacing',
  crt_pacing_pct: 'CRT pacing',
  ra_lead_impedance: 'RA lead impedance',
  rv_lead_impedance: 'RV lead impedance',
  lv_lead_impedance: 'LV lead impedance',
  shock_impedance: 'Shock lead impedance',
  ra_capture_threshold: 'RA capture threshold',
  rv_capture_threshold: 'RV capture threshold',
  lv_capture_threshold: 'LV capture threshold',
  p_wave_amplitude: 'P-wave amplitude',
  r_wave_amplitude: 'R-wave amplitude',
  battery_voltage: 'Battery voltage',
  battery_longevity: 'Battery longevity',
  battery_status: 'Battery status',
  charge_time: 'Charge time',
  vt_episodes: 'VT episodes',
  vf_episodes: 'VF episodes',
  nsvt_episodes: 'NSVT episodes',
  atp_delivered: 'ATP delivered',
  shocks_delivered: 'Shocks delivered',
  short_vv_intervals: 'Short V-V intervals',
};

/** @param {string} kind */
export const kindLabel = (kind) => KIND_LABELS[kind] ?? kind.replaceAll('_', ' ');
/** @param {string} metric */
export const metricLabel = (metric) => METRIC_LABELS[metric] ?? metric.replaceAll('_', ' ');

/** Units as written on a chart axis: `{episodes}` (UCUM annotation) reads as "episodes". @param {string} unit */
export const unitLabel = (unit) => unit.replace(/^\{(.*)\}$/, '$1').replace('Ohm.d', 'Ω·d').replace('Ohm', 'Ω');

const dateTime = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
const dateOnly = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric' });
const timeOnly = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit' });

/** "4 Mar 2026, 02:00" in the viewer's time zone. @param {string | number | Date | null} t */
export function formatDateTime(t) {
  return t === null ? '—' : dateTime.format(new Date(t));
}

/** @param {string | number | Date | null} t */
export function formatDate(t) {
  return t === null ? '—' : dateOnly.format(new Date(t));
}

/** "14:05" today, otherwise the date and time. @param {string | number | Date} t @param {number} now */
export function formatWhen(t, now) {
  const d = new Date(t);
  const today = new Date(now);
  return d.toDateString() === today.toDateString() ? timeOnly.format(d) : dateTime.format(d);
}

/** "5 min ago", "3 h ago", "2 d ago". @param {string | number} t @param {number} now */
export function ago(t, now) {
  const s = Math.max(0, (now - new Date(t).getTime()) / 1000);
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** A number without float noise: 3 significant decimals at most. @param {number} x */
export function formatNumber(x) {
  return Number.isInteger(x) ? String(x) : String(Math.round(x * 1000) / 1000);
}

/** "14:05". @param {string | number | Date} t */
export function timeOf(t) {
  return timeOnly.format(new Date(t));
}

/** NHS numbers read in 3-3-4 groups. @param {string | null} n */
export function nhs(n) {
  if (n === null || n === undefined) return 'not recorded';
  return /^\d{10}$/.test(n) ? `${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6)}` : n;
}

/** "1 high, 2 low" or "None". @param {{ high: number, medium: number, low: number }} o */
export function openAlerts(o) {
  const parts = ['high', 'medium', 'low'].filter((k) => o[k] > 0).map((k) => `${o[k]} ${k}`);
  return parts.length ? parts.join(', ') : 'None';
}

/**
 * A heart-failure risk as shown: a Low on too little data reads "Insufficient data", in grey,
 * because a green Low there would reassure about what was never measured.
 * @param {{ status: string, insufficientData?: boolean }} risk
 * @returns {{ label: string, cls: string }}
 */
export function riskBadge(risk) {
  if (risk.status === 'Low' && risk.insufficientData) return { label: 'Insufficient data', cls: 'risk-insufficient' };
  return { label: risk.status, cls: `risk-${risk.status.toLowerCase()}` };
}

export const INSUFFICIENT_HELP = 'Not enough heart-failure data to judge risk (no thoracic impedance yet, or fewer than two sensors).';

/** A measured value at the precision a chart reader needs: 540, 57.1, 3.45. @param {number} x */
export function formatValue(x) {
  const a = Math.abs(x);
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : 2;
  return String(Number(x.toFixed(digits)));
}

const dayMonth = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short' });
/** "2 Sep". @param {number} t epoch ms */
export function formatDayMonth(t) {
  return dayMonth.format(new Date(t));
}

/**
 * Decimals a chart axis needs so that ticks `incr` apart never print alike (3.14, 3.145,
 * 3.15 printed as 3.14, 3.15, 3.15 before): enough for the step, at most 4.
 * @param {number} incr
 */
export function tickDecimals(incr) {
  if (!(incr > 0) || !Number.isFinite(incr)) return 0;
  for (let d = 0; d < 4; d++) if (Math.abs(incr * 10 ** d - Math.round(incr * 10 ** d)) < 1e-6) return d;
  return 4;
}

/** Axis labels of one chart, all with the decimals its step needs. @param {number[]} splits @param {number} incr */
export function tickLabels(splits, incr) {
  const d = tickDecimals(incr);
  return splits.map((v) => (v == null ? '' : v.toFixed(d)));
}

/** battery_status values (the metric vocabulary's): 1 beginning of service ... 4 end of service. */
export const BATTERY_STATUS = { 1: 'beginning of service', 2: 'middle of service', 3: 'elective replacement (ERI)', 4: 'end of service (EOS)' };

/** ' Ω', ' %', '/min', '×': a space before a word or symbol, none before a rate or a factor. @param {string} unit */
const unitSuffix = (unit) => (!unit ? '' : unit.startsWith('/') || unit === '×' ? unit : ` ${unit}`);

const signedNumber = (v) => `${v > 0 ? '+' : v < 0 ? '−' : ''}${formatNumber(Math.abs(v))}`;

/**
 * Evidence keys in words and units. `unit` may depend on the alert's kind (a `threshold` is
 * a percentage of CRT pacing, hours of AF or volts); `signed` shows + or − for a change.
 * @type {Record<string, { label: string | ((kind: string) => string), unit?: string | ((kind: string) => string), signed?: boolean, text?: (v: any) => string }>}
 */
const EVIDENCE = {
  fluidIndex: { label: 'Fluid index', unit: 'Ω·d' },
  impedanceChangePct: { label: 'Thoracic impedance change', unit: '%', signed: true },
  impedanceBaseline: { label: 'Thoracic impedance baseline', unit: 'Ω' },
  respiratoryRateDelta: { label: 'Respiratory rate change', unit: '/min', signed: true },
  respiratoryRateBaseline: { label: 'Respiratory rate baseline', unit: '/min' },
  nightHeartRateDelta: { label: 'Night heart rate change', unit: '/min', signed: true },
  nightHeartRateBaseline: { label: 'Night heart rate baseline', unit: '/min' },
  hrvChangePct: { label: 'HRV change', unit: '%', signed: true },
  hrvBaseline: { label: 'HRV baseline', unit: 'ms' },
  activityChangePct: { label: 'Activity change', unit: '%', signed: true },
  activityBaseline: { label: 'Activity baseline', unit: 'min/d' },
  afBurdenDelta: { label: 'AF burden change', unit: 'h/d', signed: true },
  afBurdenBaseline: { label: 'AF burden baseline', unit: 'h/d' },
  afBurdenHours: { label: 'AF burden', unit: 'h/d' },
  afVentricularRate: { label: 'Ventricular rate in AF', unit: '/min' },
  recentVentricularArrhythmia: { label: 'Ventricular arrhythmia in the last week', text: (v) => (v ? 'yes' : 'no') },
  crtPacingPct: { label: 'CRT pacing', unit: '%' },
  sensorsAbnormal: { label: 'Sensors outside the patient\'s range' },
  batteryStatus: { label: 'Battery status', text: (v) => BATTERY_STATUS[v] ?? String(v) },
  longevityDropMonths: { label: 'Longevity fell by', unit: 'months' },
  windowDays: { label: 'Within', unit: 'days' },
  longevityMonths: { label: 'Longevity now', unit: 'months' },
  lowDays: { label: 'Days below the threshold' },
  ofDays: { label: 'Of the last', unit: 'days' },
  // In a capture alert `threshold` is the measured value and `baseline` in volts; in the
  // others `threshold` is the rule's level and `baseline` a lead impedance's.
  threshold: {
    label: (kind) => (kind === 'capture_threshold' ? 'Capture threshold' : 'Threshold'),
    unit: (kind) => ({ crt_pacing_loss: '%', af_burden: 'h/d', af_fast_ventricular_rate: '/min', capture_threshold: 'V' })[kind] ?? '',
  },
  baseline: { label: 'Baseline', unit: (kind) => (kind === 'capture_threshold' ? 'V' : 'Ω') },
  lead: { label: 'Lead', text: (v) => String(v).toUpperCase() },
  limit: { label: 'Limit', unit: 'V' },
  ratio: { label: 'Times the baseline', unit: '×' },
  vtEpisodes: { label: 'VT episodes' },
  vfEpisodes: { label: 'VF episodes' },
  shocksDelivered: { label: 'Shocks delivered' },
  impedance: { label: 'Impedance', unit: 'Ω' },
  safeMin: { label: 'Lowest safe', unit: 'Ω' },
  safeMax: { label: 'Highest safe', unit: 'Ω' },
  changePct: { label: 'Change from baseline', unit: '%', signed: true },
  criteriaMet: { label: 'Criteria met' },
  criteria: { label: 'Criteria' },
  silentHours: { label: 'Silent for', unit: 'h' },
  lastSeenAt: { label: 'Last reading', text: (v) => formatDateTime(v) },
  siteDevicesReporting: { label: 'Other devices of the site reporting' },
  expectedHours: { label: 'Expected every', unit: 'h' },
  cadence: { label: 'Cadence' },
};

/**
 * An alert's evidence as lines of words with units, in the engine's order; a key the page
 * does not know is shown as words from its name, so nothing is hidden.
 * @param {string} kind @param {Record<string, unknown>} evidence @returns {string[]}
 */
export function evidenceLines(kind, evidence) {
  return Object.entries(evidence ?? {}).map(([key, v]) => {
    const e = EVIDENCE[key] ?? { label: key.replace(/([A-Z])/g, ' $1').replace(/^./, (c) => c.toUpperCase()) };
    const label = typeof e.label === 'function' ? e.label(kind) : e.label;
    const unit = typeof e.unit === 'function' ? e.unit(kind) : e.unit ?? '';
    const text = e.text ? e.text(v) : typeof v === 'number' ? `${e.signed ? signedNumber(v) : formatNumber(v)}${unitSuffix(unit)}` : String(v);
    return `${label}: ${text}`;
  });
}

/**
 * The reading that opened an alert, in words: "Battery status elective replacement (ERI) on
 * 4 Mar 2026, 02:00" (the device's time; the reading's sequence number means nothing to a nurse).
 * @param {{ metric: string, value: number, at: string }} t
 */
export function triggerText(t) {
  const value = t.metric === 'battery_status' ? (BATTERY_STATUS[t.value] ?? String(t.value)) : formatNumber(t.value);
  return `${metricLabel(t.metric)} ${value} on ${formatDateTime(t.at)}`;
}

/** Device types as a clinic writes them. */
export const DEVICE_TYPE_LABELS = { pacemaker: 'Pacemaker', icd: 'ICD', crt_d: 'CRT-D', crt_p: 'CRT-P', loop_recorder: 'Loop recorder' };
