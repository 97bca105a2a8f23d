// Beside readings: programmed settings and lead status that device clinic messages reported,
// and the devices' past connectivity gaps, in words a device clinic reads. (Their episodes are
// in the patient page's episode list, episode-list.js.)
import { h } from './dom.js';
import { formatDateTime, formatNumber } from './format.js';

/** Short names of the IDC terms the service keeps; others are shown from their reference id. */
const TERM_LABELS = {
  MDC_IDC_SET_LEADCHNL_RA_PACING_AMPLITUDE: 'RA pacing amplitude',
  MDC_IDC_SET_LEADCHNL_RV_PACING_AMPLITUDE: 'RV pacing amplitude',
  MDC_IDC_SET_LEADCHNL_LV_PACING_AMPLITUDE: 'LV pacing amplitude',
  MDC_IDC_SET_BRADY_MODE: 'Pacing mode',
  MDC_IDC_SET_BRADY_LOWRATE: 'Lower rate',
  MDC_IDC_SET_BRADY_MAX_TRACKING_RATE: 'Upper tracking rate',
  MDC_IDC_SET_BRADY_MAX_SENSOR_RATE: 'Upper sensor rate',
  MDC_IDC_DEV_IMPLANT_DT: 'Implanted',
  MDC_IDC_MSMT_LEADHVCHNL_STATUS: 'Shock lead status',
  MDC_IDC_LEAD_CONNECTION_STATUS: 'Lead connection',
};

/** @param {string} term */
export function termLabel(term) {
  if (TERM_LABELS[term]) return TERM_LABELS[term];
  const words = term.replace(/^MDC_IDC_/, '').replaceAll('_', ' ').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A coded value as its text: `Check Lead^Check Lead` → `Check Lead`. @param {string} value */
export function valueText(value) {
  const parts = value.split('^').map((p) => p.trim()).filter(Boolean);
  return parts.at(-1) === parts[0] ? (parts[0] ?? '') : parts.join(' · ');
}

/** The settings list of one device. @param {any[]} settings */
export function settingsList(settings) {
  if (!settings || settings.length === 0) return h('span', { class: 'muted' }, 'none reported');
  return h('ul', { class: 'settings' }, settings.map((s) => h('li', { class: s.kind === 'status' ? 'lead-status' : '' },
    `${termLabel(s.term)}${s.subId !== '1' ? ` (${s.subId})` : ''}: ${valueText(s.value)}${s.unit ? ` ${s.unit}` : ''}`)));
}

/** A silence's length: whole days and hours. @param {number} hours */
export function silenceLength(hours) {
  const days = Math.floor(hours / 24);
  const rest = hours % 24;
  if (days === 0) return `${hours} h`;
  return `${days} day${days === 1 ? '' : 's'}${rest === 0 ? '' : ` ${rest} h`}`;
}

/** Past silences of the devices (connectivity episodes), newest first. @param {any[]} silences */
export function connectivityCard(silences) {
  return h('div', { class: 'card card-full' },
    h('h2', null, 'Past connectivity gaps'),
    silences.length === 0
      ? h('p', { class: 'muted' }, 'No gap longer than the devices\' silence limit.')
      : h('table', { class: 'episodes connectivity' },
        h('thead', null, h('tr', null, ['Device', 'Silent from', 'Until', 'Length', 'Alert'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', null, silences.map((c) => h('tr', null,
          h('td', { class: 'device' }, c.device),
          h('td', null, h('time', { datetime: c.from }, formatDateTime(c.from))),
          h('td', null, h('time', { datetime: c.to }, formatDateTime(c.to))),
          h('td', null, silenceLength(c.hours), h('div', { class: 'muted' }, `limit ${formatNumber(c.limitHours)} h`)),
          h('td', null, c.alerted ? 'Alerted while it lasted' : h('span', { class: 'muted' }, 'Found in history uploaded later')))))));
}
