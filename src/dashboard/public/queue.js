// The alert queue: unresolved alerts of the user's sites, highest priority first, kept
// current by the stream; a detail panel with the alert's facts, actions and history.
import { api, query } from './api.js';
import { h, replace } from './dom.js';
import { DEVICE_TYPE_LABELS, INSUFFICIENT_HELP, KIND_LABELS, PRIORITY_LABELS, STATUS_LABELS, ago, formatWhen, kindLabel, riskBadge } from './format.js';
import { renderDetail } from './detail.js';

const RANK = { high: 0, medium: 1, low: 2 };
const MAX_ROWS = 500;

/** Priority, then escalated first, then the alert waiting longest. @param {any} a @param {any} b */
export function queueOrder(a, b) {
  return (RANK[a.priority] ?? 3) - (RANK[b.priority] ?? 3)
    || (b.escalationLevel ?? 0) - (a.escalationLevel ?? 0)
    || a.raisedAt.localeCompare(b.raisedAt)
    || a.id.localeCompare(b.id);
}

/** @param {any} a @param {number} now */
export const isSnoozed = (a, now) => a.snoozedUntil !== null && new Date(a.snoozedUntil).getTime() > now && a.status !== 'resolved';

/** Filters live in the URL, so a view can be bookmarked and survives a reload. */
function readFilters() {
  const q = new URLSearchParams(location.search);
  return {
    priority: q.get('priority') ?? '',
    kind: q.get('kind') ?? '',
    status: q.get('status') ?? 'active',
    mine: q.get('mine') === '1',
    snoozed: q.get('snoozed') === '1',
  };
}

/** @param {ReturnType<typeof readFilters>} f */
function writeFilters(f) {
  const s = query({ priority: f.priority, kind: f.kind, status: f.status === 'active' ? '' : f.status, mine: f.mine ? '1' : '', snoozed: f.snoozed ? '1' : '' });
  history.replaceState(null, '', `/${s}`);
}

/**
 * @param {HTMLElement} main
 * @param {any} ctx
 * @returns {() => void} cleanup
 */
export function renderQueue(main, ctx) {
  document.title = 'Alert queue · Device clinic';
  const { store } = ctx;
  const filters = readFilters();
  /** @type {string | null} */
  let selectedId = null;
  /** Alerts opened since the page was shown and not yet looked at. */
  const fresh = new Set();
  let resolvedLoaded = false;

  // Filters.
  const selectField = (id, label, options, value, onchange) =>
    h('div', { class: 'field inline' },
      h('label', { for: id }, label),
      h('select', { id, onchange }, options.map(([v, text]) => h('option', { value: v, selected: v === value }, text))));
  const check = (id, label, checked, onchange) =>
    h('div', { class: 'field inline check' }, h('input', { type: 'checkbox', id, checked, onchange }), h('label', { for: id }, label));
  const changed = (key) => (ev) => {
    const t = ev.target;
    filters[key] = t.type === 'checkbox' ? t.checked : t.value;
    writeFilters(filters);
    if (key === 'status' && filters.status === 'resolved') void loadResolved();
    render();
  };
  const mineBox = check('f-mine', 'Assigned to me', filters.mine, changed('mine'));
  if (!ctx.me.email) {
    mineBox.querySelector('input').disabled = true;
    mineBox.title = 'Sign out and in again to use this filter: your email is learnt at sign-in.';
  }
  const filterBar = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter alerts', onsubmit: (e) => e.preventDefault() },
    selectField('f-priority', 'Priority', [['', 'All'], ['high', 'High'], ['medium', 'Medium'], ['low', 'Low']], filters.priority, changed('priority')),
    selectField('f-kind', 'Kind', [['', 'All kinds'], ...Object.entries(KIND_LABELS)], filters.kind, changed('kind')),
    selectField('f-status', 'Status', [['active', 'Open and acknowledged'], ['open', 'Open'], ['acknowledged', 'Acknowledged'], ['resolved', 'Resolved']], filters.status, changed('status')),
    mineBox,
    check('f-snoozed', 'Show snoozed', filters.snoozed, changed('snoozed')),
  );

  const counts = h('p', { class: 'counts', id: 'queue-counts', 'aria-live': 'polite' });
  const tbody = h('tbody', { id: 'queue-rows' });
  const empty = h('p', { class: 'empty', hidden: true });
  const more = h('p', { class: 'empty', hidden: true });
  const table = h('table', { class: 'queue', id: 'queue', 'aria-describedby': 'queue-counts' },
    h('caption', { class: 'visually-hidden' }, 'Alerts, highest priority first, then longest waiting. Use the up and down arrow keys (or j and k) to move between alerts.'),
    h('thead', null, h('tr', null,
      h('th', { scope: 'col', class: 'c-prio' }, 'Priority'),
      h('th', { scope: 'col' }, 'Alert'),
      h('th', { scope: 'col', class: 'c-who' }, 'Patient / device'),
      h('th', { scope: 'col', class: 'c-when' }, 'On the device / received'),
      h('th', { scope: 'col', class: 'c-status' }, 'Status'))),
    tbody);
  const detail = h('aside', { class: 'detail', id: 'detail', 'aria-label': 'Selected alert', tabindex: '-1' },
    h('p', { class: 'muted' }, 'Select an alert to see its details, act on it and read its history.'));
  const help = h('details', { class: 'shortcuts' }, h('summary', null, 'Keyboard shortcuts'),
    h('dl', null,
      [['↑ ↓ or k j', 'previous / next alert'], ['Enter', 'go to the alert’s actions'], ['a', 'acknowledge'], ['m', 'assign to me'],
      ['r', 'resolve (choose a resolution)'], ['s', 'snooze'], ['c', 'comment'], ['/', 'filters'], ['Esc', 'back to the list'],
    ].map(([k, v]) => [h('dt', null, h('kbd', null, k)), h('dd', null, v)])));

  replace(main,
    h('div', { class: 'page-head' }, h('h1', null, 'Alert queue'), counts),
    filterBar,
    h('div', { class: 'queue-layout' }, h('div', { class: 'queue-list' }, table, empty, more, help), detail));

  const detailView = renderDetail(detail, ctx, {
    onUpdated: (alert) => store.upsert(alert),
  });

  function visible(now) {
    let snoozedHidden = 0;
    const rows = [];
    for (const a of store.alerts.values()) {
      if (filters.status === 'active' ? a.status === 'resolved' : a.status !== filters.status) continue;
      if (filters.priority && a.priority !== filters.priority) continue;
      if (filters.kind && a.kind !== filters.kind) continue;
      if (filters.mine && (!ctx.me.email || a.assignee !== ctx.me.email)) continue;
      if (!filters.snoozed && isSnoozed(a, now)) {
        snoozedHidden++;
        continue;
      }
      rows.push(a);
    }
    rows.sort(queueOrder);
    ctx.patients.ensure(rows.flatMap((a) => (a.patientId ? [a.patientId] : [])));
    return { rows, snoozedHidden };
  }

  function render() {
    const now = Date.now();
    const { rows, snoozedHidden } = visible(now);
    const byPrio = { high: 0, medium: 0, low: 0 };
    for (const a of rows) byPrio[a.priority]++;
    const countText = `${rows.length} alert${rows.length === 1 ? '' : 's'}: ${byPrio.high} high, ${byPrio.medium} medium, ${byPrio.low} low`
      + (snoozedHidden ? ` · ${snoozedHidden} snoozed not shown` : '')
      + (store.cursor === null ? ' · waiting for the live stream…' : '');
    // Polite live region: announce when the numbers change, not on every render.
    if (counts.textContent !== countText) counts.textContent = countText;
    const hadFocus = tbody.contains(document.activeElement);
    if (selectedId && !rows.some((a) => a.id === selectedId) && !store.alerts.has(selectedId)) selectedId = null;
    // The first rows are the ones to act on; past that the filters are the way in.
    replace(tbody, rows.slice(0, MAX_ROWS).map((a) => row(a, now)));
    more.hidden = rows.length <= MAX_ROWS;
    more.textContent = `Showing the first ${MAX_ROWS} of ${rows.length} alerts. Narrow the list with the filters to see the rest.`;
    empty.hidden = rows.length > 0;
    empty.textContent = store.cursor === null && filters.status !== 'resolved' ? 'Loading alerts…' : 'No alerts match these filters.';
    // Roving tabindex: one stop for the whole list; arrows move within it.
    const rowsEls = [...tbody.rows];
    const target = rowsEls.find((r) => r.dataset.id === selectedId) ?? rowsEls[0];
    if (target) target.tabIndex = 0;
    if (hadFocus && target) target.focus({ preventScroll: true });
  }

  function row(a, now) {
    const snoozed = isSnoozed(a, now);
    const cls = ['prio-row', `prio-${a.priority}`, a.escalationLevel > 0 ? 'escalated' : '', a.id === selectedId ? 'selected' : '', snoozed ? 'snoozed' : ''].join(' ');
    return h('tr', { class: cls, 'data-id': a.id, tabindex: '-1', 'aria-selected': String(a.id === selectedId), onclick: () => select(a.id, false), onfocus: () => select(a.id, false) },
      h('td', { class: 'c-prio' }, h('span', { class: `prio prio-${a.priority}` }, PRIORITY_LABELS[a.priority] ?? a.priority)),
      h('td', { class: 'c-alert' },
        h('div', { class: 'kind' },
          kindLabel(a.kind),
          a.occurrences > 1 ? h('span', { class: 'occ', title: `triggered ${a.occurrences} times` }, ` ×${a.occurrences}`) : null,
          fresh.has(a.id) ? h('span', { class: 'badge badge-new' }, 'New') : null,
          a.worsenedFrom ? h('span', { class: 'badge badge-worse', title: `raised from ${PRIORITY_LABELS[a.worsenedFrom] ?? a.worsenedFrom} while open` }, `Worse (was ${PRIORITY_LABELS[a.worsenedFrom] ?? a.worsenedFrom})`) : null,
          a.escalationLevel > 0 ? h('span', { class: 'badge badge-esc' }, a.escalationLevel > 1 ? `Escalated ×${a.escalationLevel}` : 'Escalated') : null),
        h('div', { class: 'summary' }, a.summary)),
      h('td', { class: 'c-who' },
        a.patientId ? h('a', { href: `/patients/${encodeURIComponent(a.patientId)}`, 'data-link': true, onclick: (e) => e.stopPropagation() }, ctx.patients.name(a.patientId) ?? a.patientId) : null,
        riskTag(ctx.patients.risk(a.patientId)),
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

  /** @param {string} id @param {boolean} focusDetail */
  function select(id, focusDetail) {
    if (selectedId !== id) {
      selectedId = id;
      fresh.delete(id);
      for (const r of tbody.rows) {
        const on = r.dataset.id === id;
        r.classList.toggle('selected', on);
        r.setAttribute('aria-selected', String(on));
        r.tabIndex = on ? 0 : -1;
        if (on) r.querySelector('.badge-new')?.remove();
      }
      detailView.show(store.alerts.get(id) ?? null);
    }
    if (focusDetail) detail.focus();
  }

  function move(delta) {
    const rowsEls = [...tbody.rows];
    if (rowsEls.length === 0) return;
    const i = rowsEls.findIndex((r) => r.dataset.id === selectedId);
    const next = rowsEls[Math.max(0, Math.min(rowsEls.length - 1, i < 0 ? 0 : i + delta))];
    next?.focus();
    next?.scrollIntoView({ block: 'nearest' });
  }

  async function loadResolved() {
    if (resolvedLoaded) return;
    resolvedLoaded = true;
    // Oldest first, a page at a time: read at most ten pages, then say so.
    let after = '';
    for (let page = 0; page < 10; page++) {
      try {
        const { alerts, next } = await api('GET', `/v1/alerts${query({ status: 'resolved', limit: 1000, after })}`);
        for (const a of alerts) if (!store.alerts.has(a.id)) store.alerts.set(a.id, a);
        render();
        if (!next) return;
        after = next;
      } catch (err) {
        resolvedLoaded = false;
        ctx.toast(`Could not load resolved alerts: ${err.message}`);
        return;
      }
    }
    ctx.toast('Showing the first 10,000 resolved alerts only.');
  }

  const onChange = (ev) => {
    const { alert, change } = ev.detail;
    if (change?.type === 'opened') fresh.add(alert.id);
    schedule();
    if (alert.id === selectedId) detailView.update(alert, change);
  };
  const onReset = () => {
    schedule();
    if (selectedId) detailView.update(store.alerts.get(selectedId) ?? null, null);
  };
  let scheduled = false;
  function schedule() {
    if (scheduled) return;
    scheduled = true;
    // A burst of stream messages (a catch-up, a busy night) renders once, not once per message.
    setTimeout(() => {
      scheduled = false;
      render();
    }, 100);
  }

  const onKey = (ev) => {
    const t = ev.target;
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const typing = t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement;
    if (ev.key === 'Escape') {
      const r = [...tbody.rows].find((x) => x.dataset.id === selectedId);
      if (r) {
        r.focus();
        ev.preventDefault();
      }
      return;
    }
    if (typing) return;
    const inList = tbody.contains(t);
    if ((ev.key === 'ArrowDown' && inList) || ev.key === 'j') move(1);
    else if ((ev.key === 'ArrowUp' && inList) || ev.key === 'k') move(-1);
    else if (ev.key === 'Enter' && inList) select(t.dataset.id, true);
    else if (ev.key === '/') document.getElementById('f-priority')?.focus();
    else if (selectedId && detailView.shortcut(ev.key)) { /* handled */ } else return;
    ev.preventDefault();
  };

  store.addEventListener('change', onChange);
  store.addEventListener('reset', onReset);
  const onNames = () => {
    schedule();
    if (selectedId) detailView.update(store.alerts.get(selectedId) ?? null, null);
  };
  ctx.patients.addEventListener('change', onNames);
  document.addEventListener('keydown', onKey);
  // Relative times and snooze expiry move with the clock.
  const clock = setInterval(schedule, 30_000);
  if (filters.status === 'resolved') void loadResolved();
  render();

  return () => {
    store.removeEventListener('change', onChange);
    store.removeEventListener('reset', onReset);
    ctx.patients.removeEventListener('change', onNames);
    document.removeEventListener('keydown', onKey);
    clearInterval(clock);
    detailView.destroy();
  };
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
