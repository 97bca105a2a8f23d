// The worklists page: devices overdue for a transmission (their newest reading arrived longer
// ago than their silence limit allows), and the open and acknowledged alerts by assignee.
// Patients link to their pages.
import { api } from './api.js';
import { h, replace } from './dom.js';
import { DEVICE_TYPE_LABELS, PRIORITY_LABELS, STATUS_LABELS, formatDateTime, kindLabel } from './format.js';

/** "3 d 4 h", "5 h". @param {number} hours */
export function formatHours(hours) {
  const whole = Math.floor(hours);
  if (whole < 24) return `${Math.max(whole, hours > 0 ? 1 : 0)} h`;
  const d = Math.floor(whole / 24);
  const rest = whole % 24;
  return rest === 0 ? `${d} d` : `${d} d ${rest} h`;
}

/** @param {string | null} id @param {string | null} name */
function patientCell(id, name) {
  if (id === null) return h('span', { class: 'muted' }, 'Not enrolled');
  return h('a', { href: `/patients/${encodeURIComponent(id)}`, 'data-link': true }, name ?? id);
}

/** @param {{ high: number, medium: number, low: number }} c */
const countsText = (c) => ['high', 'medium', 'low'].map((p) => `${c[p]} ${PRIORITY_LABELS[p].toLowerCase()}`).join(' · ');

/** @param {any} d */
function limitText(d) {
  if (d.expectedHours === null) return `${formatHours(d.limitHours)} (no cadence known)`;
  return `${formatHours(d.limitHours)} (transmits about every ${formatHours(d.expectedHours)}, ${d.limitSource})`;
}

/** @param {HTMLElement} main @param {any} _ctx */
export function renderWorklists(main, _ctx) {
  document.title = 'Worklists · Device clinic';
  let alive = true;
  const overdueStatus = h('p', { class: 'counts', role: 'status', id: 'overdue-status' }, 'Loading…');
  const overdueBody = h('tbody');
  const assignedStatus = h('p', { class: 'counts', role: 'status', id: 'assigned-status' }, 'Loading…');
  const groups = h('div', { class: 'worklist-groups' });
  replace(main,
    h('div', { class: 'page-head' }, h('h1', null, 'Worklists')),
    h('section', { 'aria-labelledby': 'overdue-h', class: 'worklist' },
      h('div', { class: 'section-head' }, h('h2', { id: 'overdue-h' }, 'Overdue transmissions'), overdueStatus),
      h('p', { class: 'muted' }, 'Devices whose newest reading arrived longer ago than they are allowed to be silent: 48 h, or twice their usual interval when they transmit less often. Explanted devices are left out.'),
      h('table', { class: 'worklist-overdue', id: 'overdue-table' },
        h('thead', null, h('tr', null, ['Patient', 'Device', 'Site', 'Last reading', 'Last received', 'Allowed silence', 'Overdue by'].map((t) => h('th', { scope: 'col' }, t)))),
        overdueBody)),
    h('section', { 'aria-labelledby': 'assigned-h', class: 'worklist' },
      h('div', { class: 'section-head' }, h('h2', { id: 'assigned-h' }, 'Open alerts by assignee'), assignedStatus),
      groups));

  async function loadOverdue() {
    try {
      const res = await api('GET', '/v1/worklists/overdue');
      if (!alive) return;
      overdueStatus.textContent = res.total === 0 ? 'No device is overdue.'
        : `${res.total} device${res.total === 1 ? '' : 's'} overdue${res.total > res.devices.length ? ` (the ${res.devices.length} most overdue shown)` : ''}`;
      replace(overdueBody, res.devices.map((d) => h('tr', null,
        h('td', null, patientCell(d.patientId, d.patientName)),
        h('td', null, h('span', { class: 'device' }, d.device), d.deviceType && d.deviceType !== 'unknown' ? h('div', { class: 'muted' }, DEVICE_TYPE_LABELS[d.deviceType] ?? d.deviceType) : null),
        h('td', null, d.site),
        h('td', null, h('time', { datetime: d.lastReadingAt }, formatDateTime(d.lastReadingAt))),
        h('td', null, h('time', { datetime: d.lastReceivedAt }, formatDateTime(d.lastReceivedAt))),
        h('td', null, limitText(d)),
        h('td', { class: 'overdue-by' }, formatHours(d.overdueHours)))));
    } catch (err) {
      if (alive) overdueStatus.textContent = `Could not load the overdue devices: ${err.message}`;
    }
  }

  async function loadAssigned() {
    try {
      const res = await api('GET', '/v1/worklists/assigned');
      if (!alive) return;
      const total = res.groups.reduce((n, g) => n + g.counts.total, 0);
      assignedStatus.textContent = total === 0 ? 'No open alert.' : `${total} open or acknowledged alert${total === 1 ? '' : 's'}`;
      replace(groups, res.groups.map((g, i) => {
        const title = g.assignee === null ? 'Unassigned' : g.assignee.name || g.assignee.email;
        const hid = `assignee-h-${i}`;
        return h('section', { class: 'card worklist-group', 'aria-labelledby': hid },
          h('h3', { id: hid }, title, g.assignee ? h('span', { class: 'muted' }, ` ${g.assignee.email}`) : null),
          h('p', { class: 'counts' }, countsText(g.counts)),
          h('table', { class: 'worklist-alerts' },
            h('thead', null, h('tr', null, ['Priority', 'Alert', 'Patient', 'Device', 'Status', 'Opened'].map((t) => h('th', { scope: 'col' }, t)))),
            h('tbody', null, g.alerts.map((a) => h('tr', null,
              h('td', null, h('span', { class: `prio prio-${a.priority}` }, PRIORITY_LABELS[a.priority])),
              h('td', null, h('div', { class: 'kind' }, kindLabel(a.kind)), h('div', { class: 'summary' }, a.summary)),
              h('td', null, patientCell(a.patientId, a.patientName)),
              h('td', { class: 'device' }, a.device),
              h('td', null, STATUS_LABELS[a.status] ?? a.status, a.snoozedUntil ? h('div', { class: 'muted' }, `snoozed until ${formatDateTime(a.snoozedUntil)}`) : null),
              h('td', null, h('time', { datetime: a.openedAt }, formatDateTime(a.openedAt))))))),
          g.alerts.length < g.counts.total ? h('p', { class: 'muted' }, `The first ${g.alerts.length} of ${g.counts.total} shown.`) : null);
      }));
    } catch (err) {
      if (alive) assignedStatus.textContent = `Could not load the open alerts: ${err.message}`;
    }
  }

  void loadOverdue();
  void loadAssigned();
  return () => {
    alive = false;
  };
}
