// One row of the alert queue: an alert on its own, the leading (worst) alert of a patient's
// group with the group's other alerts named and a button to show them, or one of those.
import { h } from './dom.js';
import { DEVICE_TYPE_LABELS, INSUFFICIENT_HELP, PRIORITY_LABELS, STATUS_LABELS, ago, formatWhen, kindLabel, riskBadge } from './format.js';
import { isSnoozed } from './queue-model.js';

/**
 * @typedef {{
 *   role: 'plain' | 'head' | 'member',
 *   selected: boolean, fresh: boolean, picked: boolean,
 *   group?: { key: string, alerts: any[], expanded: boolean },
 *   onSelect: (id: string) => void, onPick: (id: string, on: boolean) => void, onToggle: (key: string) => void,
 * }} RowView
 */

/** @param {any} a @param {number} now @param {any} ctx @param {RowView} v */
export function alertRow(a, now, ctx, v) {
  const snoozed = isSnoozed(a, now);
  const name = a.patientId ? ctx.patients.name(a.patientId) ?? a.patientId : null;
  const cls = ['prio-row', `prio-${a.priority}`, a.escalationLevel > 0 ? 'escalated' : '', v.selected ? 'selected' : '', snoozed ? 'snoozed' : '',
    v.role === 'head' ? 'group-head' : '', v.role === 'member' ? 'group-member' : ''].filter(Boolean).join(' ');
  const pickLabel = `Select ${kindLabel(a.kind)}, ${name ?? a.device}`;
  return h('tr', {
    class: cls, id: `row-${a.id}`, 'data-id': a.id, 'data-group': v.group && a.patientId ? a.patientId : null, tabindex: '-1',
    'aria-selected': String(v.selected), onclick: () => v.onSelect(a.id), onfocus: () => v.onSelect(a.id),
  },
  h('td', { class: 'c-pick' },
    h('input', {
      type: 'checkbox', class: 'pick', 'aria-label': pickLabel, checked: v.picked,
      onclick: (/** @type {Event} */ e) => e.stopPropagation(),
      onchange: (/** @type {Event} */ e) => v.onPick(a.id, /** @type {HTMLInputElement} */ (e.target).checked),
    })),
  h('td', { class: 'c-prio' }, h('span', { class: `prio prio-${a.priority}` }, PRIORITY_LABELS[a.priority] ?? a.priority)),
  h('td', { class: 'c-alert' },
    h('div', { class: 'kind' },
      kindLabel(a.kind),
      a.occurrences > 1 ? h('span', { class: 'occ', title: `triggered ${a.occurrences} times` }, ` ×${a.occurrences}`) : null,
      v.fresh ? h('span', { class: 'badge badge-new' }, 'New') : null,
      a.worsenedFrom ? h('span', { class: 'badge badge-worse', title: `raised from ${PRIORITY_LABELS[a.worsenedFrom] ?? a.worsenedFrom} while open` }, `Worse (was ${PRIORITY_LABELS[a.worsenedFrom] ?? a.worsenedFrom})`) : null,
      a.escalationLevel > 0 ? h('span', { class: 'badge badge-esc' }, a.escalationLevel > 1 ? `Escalated ×${a.escalationLevel}` : 'Escalated') : null),
    h('div', { class: 'summary' }, a.summary),
    v.role === 'head' && v.group ? groupSummary(v.group, v.onToggle) : null),
  h('td', { class: 'c-who' },
    v.role === 'member'
      ? h('span', { class: 'visually-hidden' }, `${name ?? ''}, `)
      : a.patientId ? h('a', { href: `/patients/${encodeURIComponent(a.patientId)}`, 'data-link': true, onclick: (/** @type {Event} */ e) => e.stopPropagation() }, name) : null,
    v.role === 'member' ? null : riskTag(ctx.patients.risk(a.patientId)),
    h('div', { class: 'device' }, a.device, deviceTypeTag(ctx.patients.deviceType(a.patientId, a.device))),
    h('div', { class: 'muted' }, a.site)),
  h('td', { class: 'c-when' },
    // When it happened on the device (the opening reading's time), then when the service
    // raised it: a transmission a day late shows as such instead of as a fresh event.
    h('time', { class: 'event-time', datetime: a.openedAt, title: 'When the device recorded it' }, formatWhen(a.openedAt, now)),
    a.lastSeenAt && a.lastSeenAt !== a.openedAt
      ? h('div', { class: 'muted' }, 'last ', h('time', { datetime: a.lastSeenAt }, formatWhen(a.lastSeenAt, now)))
      : null,
    h('div', { class: 'muted received' }, 'received ', h('time', { datetime: a.raisedAt }, formatWhen(a.raisedAt, now)), ` · ${ago(a.raisedAt, now)}`)),
  h('td', { class: 'c-status' },
    h('div', { class: `status status-${a.status}` }, STATUS_LABELS[a.status] ?? a.status),
    a.assignee ? h('div', { class: 'muted' }, a.assignee === ctx.me.email ? 'Assigned to me' : `Assigned to ${a.assignee}`) : null,
    snoozed ? h('div', { class: 'muted' }, `Snoozed until ${formatWhen(a.snoozedUntil, now)}`) : null));
}

/**
 * The patient's other alerts in a line, and the button that shows or hides their rows.
 * @param {{ key: string, alerts: any[], expanded: boolean }} g @param {(key: string) => void} onToggle
 */
function groupSummary(g, onToggle) {
  const others = g.alerts.slice(1);
  const n = others.length;
  return h('div', { class: 'group-summary' },
    h('button', {
      type: 'button', class: 'group-toggle', 'aria-expanded': String(g.expanded),
      'aria-controls': g.expanded ? others.map((a) => `row-${a.id}`).join(' ') : null,
      onclick: (/** @type {Event} */ e) => {
        e.stopPropagation();
        onToggle(g.key);
      },
    }, `${n} more alert${n === 1 ? '' : 's'}`),
    h('span', { class: 'group-list' },
      ' ', others.map((a) => `${kindLabel(a.kind)} (${PRIORITY_LABELS[a.priority] ?? a.priority})`).join(', ')));
}

/** The patient's heart-failure risk beside their name, in words (null before the first score). @param {any} risk */
function riskTag(risk) {
  if (!risk) return null;
  const b = riskBadge(risk);
  return h('span', { class: `risk ${b.cls} risk-small`, title: b.cls === 'risk-insufficient' ? INSUFFICIENT_HELP : 'Heart-failure risk' }, `HF ${b.label}`);
}

/** "· CRT-D" after the serial, when the device is enrolled with a known type. @param {string | null} type */
function deviceTypeTag(type) {
  const label = type ? DEVICE_TYPE_LABELS[type] : null;
  return label ? h('span', { class: 'device-type' }, ` · ${label}`) : null;
}
