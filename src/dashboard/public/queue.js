// The alert queue: unresolved alerts of the user's sites, grouped by patient, highest
// priority first, kept current by the stream; a detail panel with the alert's facts,
// actions and history; ticked alerts acknowledged or resolved together (bulk.js).
import { api, query } from './api.js';
import { h, replace } from './dom.js';
import { kindLabel } from './format.js';
import { renderDetail } from './detail.js';
import { bulkActions } from './bulk.js';
import { filterBar, readFilters } from './queue-filters.js';
import { alertRow } from './queue-row.js';
import { RowCache, patchChildren } from './row-cache.js';
import { queueKeys } from './queue-keys.js';
import { groupByPatient, isSnoozed, matches } from './queue-model.js';

export { queueOrder, isSnoozed } from './queue-model.js';

/** Rows in the table at most: the first rows are the ones to act on; past that the filters are the way in. */
const MAX_ROWS = 500;
/** Rows drawn in one turn of the event loop: a screenful and more, in a few tens of milliseconds. */
const DRAW_STEP = 100;

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
  /** Patients whose group shows all its alerts (group keys). */
  const expanded = new Set();
  let resolvedLoaded = false;
  const marked = { first: false, all: false };
  const rowCache = new RowCache();
  /** Rows drawn in this turn; grows by DRAW_STEP a turn up to MAX_ROWS, and starts again at a filter change. */
  let drawLimit = DRAW_STEP;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let drawMore;

  const filtersView = filterBar(ctx, filters, (key) => {
    if (key === 'status' && filters.status === 'resolved') void loadResolved();
    drawLimit = DRAW_STEP;
    render();
  });

  const counts = h('p', { class: 'counts', id: 'queue-counts', 'aria-live': 'polite' });
  const tbody = h('tbody', { id: 'queue-rows' });
  const empty = h('p', { class: 'empty', hidden: true });
  const more = h('p', { class: 'empty', hidden: true });
  const bulk = bulkActions(ctx, {
    describe: (a) => `${kindLabel(a.kind)}, ${(a.patientId ? ctx.patients.name(a.patientId) : null) ?? a.patientId ?? 'not enrolled'} (${a.device})`,
    onDone: () => render(),
  });
  const pickAll = h('input', {
    type: 'checkbox', id: 'pick-all', 'aria-label': 'Select all shown alerts',
    onchange: (/** @type {Event} */ e) => {
      bulk.setAll(shownIds, /** @type {HTMLInputElement} */ (e.target).checked);
      render();
    },
  });
  const table = h('table', { class: 'queue', id: 'queue', 'aria-describedby': 'queue-counts' },
    h('caption', { class: 'visually-hidden' },
      'Alerts grouped by patient, highest priority first, then longest waiting. Use the up and down arrow keys (or j and k) to move between alerts, '
      + 'right and left arrows to show or hide a patient’s other alerts, and x to select an alert.'),
    h('thead', null, h('tr', null,
      h('th', { scope: 'col', class: 'c-pick' }, pickAll),
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
      [['↑ ↓ or k j', 'previous / next alert'], ['→ ←', 'show / hide the patient’s other alerts'], ['x', 'select the alert for a bulk action'],
      ['Enter', 'go to the alert’s actions'], ['a', 'acknowledge'], ['m', 'assign to me'],
      ['r', 'resolve (choose a resolution)'], ['s', 'snooze'], ['c', 'comment'], ['/', 'filters'], ['Esc', 'back to the list'],
    ].map(([k, v]) => [h('dt', null, h('kbd', null, k)), h('dd', null, v)])));

  replace(main,
    h('div', { class: 'page-head' }, h('h1', null, 'Alert queue'), counts),
    filtersView.bar,
    bulk.slot,
    bulk.report,
    h('div', { class: 'queue-layout' }, h('div', { class: 'queue-list' }, table, empty, more, help), detail));

  const detailView = renderDetail(detail, ctx, {
    onUpdated: (alert) => store.upsert(alert),
  });

  /** Ids of the alerts in the groups shown (a collapsed group's too): what "select all shown" ticks. @type {string[]} */
  let shownIds = [];
  const patientInfo = {
    risk: (/** @type {string | null} */ id) => ctx.patients.risk(id),
    deviceType: (/** @type {string | null} */ id, /** @type {string} */ serial) => ctx.patients.deviceType(id, serial),
  };

  function* patientIds() {
    for (const a of store.alerts.values()) if (a.patientId) yield a.patientId;
  }

  function visible(now) {
    let snoozedHidden = 0;
    const rows = [];
    for (const a of store.alerts.values()) {
      if (!matches(a, filters, ctx.me.email, patientInfo)) continue;
      if (!filters.snoozed && isSnoozed(a, now)) {
        snoozedHidden++;
        continue;
      }
      rows.push(a);
    }
    // Every alert's patient, not only those shown: the HF risk and device type filters need
    // the patient list to decide what is shown.
    ctx.patients.ensure(patientIds());
    return { rows, snoozedHidden };
  }

  function render() {
    const now = Date.now();
    filtersView.sync(store.alerts.values());
    const { rows, snoozedHidden } = visible(now);
    const byPrio = { high: 0, medium: 0, low: 0 };
    for (const a of rows) byPrio[a.priority]++;
    const groups = groupByPatient(rows);
    const patients = groups.filter((g) => g.patientId !== null).length;
    const countText = `${rows.length} alert${rows.length === 1 ? '' : 's'}: ${byPrio.high} high, ${byPrio.medium} medium, ${byPrio.low} low`
      + (patients ? ` · ${patients} patient${patients === 1 ? '' : 's'}` : '')
      + (snoozedHidden ? ` · ${snoozedHidden} snoozed not shown` : '')
      + (store.cursor === null ? ' · waiting for the live stream…' : '');
    // Polite live region: announce when the numbers change, not on every render.
    if (counts.textContent !== countText) counts.textContent = countText;
    const active = document.activeElement;
    const activeRow = active && tbody.contains(active) ? active.closest('tr') : null;
    const focusId = activeRow?.dataset.id ?? null;
    const focusWhat = !activeRow ? null : active === activeRow ? 'row'
      : ['pick', 'group-toggle'].find((c) => active?.classList.contains(c)) ?? (active?.tagName === 'A' ? 'a' : 'row');
    if (selectedId && !rows.some((a) => a.id === selectedId) && !store.alerts.has(selectedId)) selectedId = null;

    // Rows up to the cap; of those, the first `drawLimit` now and the rest in the next turns,
    // so a long list shows its top at once and the page answers meanwhile.
    const els = [];
    const shown = [];
    let count = 0;
    let g = 0;
    const minute = Math.floor(now / 60_000);
    for (; g < groups.length && count < MAX_ROWS; g++) {
      const group = groups[g];
      for (const a of group.alerts) shown.push(a.id);
      const [lead, ...others] = group.alerts;
      const open = others.length > 0 && expanded.has(group.key);
      const n = 1 + (open ? others.length : 0);
      if (count < drawLimit) {
        if (others.length === 0) els.push(rowOf(lead, now, minute, 'plain'));
        else {
          const view = { key: group.key, alerts: group.alerts, expanded: open };
          els.push(rowOf(lead, now, minute, 'head', view));
          if (open) for (const a of others) els.push(rowOf(a, now, minute, 'member', view));
        }
      }
      count += n;
    }
    rowCache.sweep();
    shownIds = shown;
    patchChildren(tbody, els);
    const capped = g < groups.length;
    const drawn = count <= drawLimit;
    tbody.dataset.complete = String(drawn);
    if (!drawn) {
      drawLimit += DRAW_STEP;
      clearTimeout(drawMore);
      drawMore = setTimeout(render, 0);
    }
    more.hidden = !capped;
    more.textContent = `Showing the first ${shown.length} of ${rows.length} alerts. Narrow the list with the filters to see the rest.`;
    empty.hidden = rows.length > 0;
    empty.textContent = store.cursor === null && filters.status !== 'resolved' ? 'Loading alerts…' : 'No alerts match these filters.';

    bulk.prune(new Set(shown));
    for (const r of tbody.rows) {
      const box = r.cells[0]?.firstElementChild;
      if (box instanceof HTMLInputElement) box.checked = bulk.picked.has(r.dataset.id ?? '');
    }
    const picked = shown.filter((id) => bulk.picked.has(id)).length;
    /** @type {HTMLInputElement} */ (pickAll).checked = picked > 0 && picked === shown.length;
    /** @type {HTMLInputElement} */ (pickAll).indeterminate = picked > 0 && picked < shown.length;
    /** @type {HTMLInputElement} */ (pickAll).disabled = shown.length === 0;

    // Roving tabindex: one stop for the whole list; arrows move within it.
    const rowsEls = [...tbody.rows];
    const target = rowsEls.find((r) => r.dataset.id === selectedId) ?? rowsEls[0];
    for (const r of rowsEls) r.tabIndex = r === target ? 0 : -1;
    // A row built anew lost the focus its control had: give it back to the same control.
    if (focusWhat && !tbody.contains(document.activeElement)) {
      const r = rowsEls.find((x) => x.dataset.id === focusId);
      const el = focusWhat === 'row' ? target : r?.querySelector(focusWhat === 'a' ? 'a' : `.${focusWhat}`);
      if (el instanceof HTMLElement) el.focus({ preventScroll: true });
      else target?.focus({ preventScroll: true });
    }
    // Marks for measuring: the queue first drawn with the stream's alerts, then all its rows.
    if (store.cursor !== null) {
      if (!marked.first) {
        marked.first = true;
        window.performance.mark('queue-rendered', { detail: { alerts: rows.length, rows: els.length } });
      }
      if (!marked.all && drawn) {
        marked.all = true;
        window.performance.mark('queue-rendered-all', { detail: { alerts: rows.length, rows: els.length } });
      }
    }
  }

  /**
   * The row of `a`, from the cache when nothing it shows changed (times to the minute).
   * @param {any} a @param {number} now @param {number} minute @param {'plain' | 'head' | 'member'} role
   * @param {{ key: string, alerts: any[], expanded: boolean }} [group]
   */
  function rowOf(a, now, minute, role, group) {
    const risk = ctx.patients.risk(a.patientId);
    const sig = [
      role, a.id === selectedId, fresh.has(a.id), minute, ctx.me.email, ctx.patients.name(a.patientId), risk?.status, risk?.insufficientData,
      ctx.patients.deviceType(a.patientId, a.device),
      group && role === 'head' ? `${group.expanded}:${group.alerts.map((x) => `${x.id}/${x.kind}/${x.priority}`).join(',')}` : '',
    ].join('|');
    return rowCache.row(a.id, a, sig, () => alertRow(a, now, ctx, {
      role, group, selected: a.id === selectedId, fresh: fresh.has(a.id), picked: bulk.picked.has(a.id),
      onSelect: (id) => select(id, false),
      onPick: (id, on) => {
        bulk.toggle(id, on);
        render();
      },
      onToggle: (key) => toggleGroup(key),
    }));
  }

  /** Show or hide a patient's other alerts; the focus stays on the group's first row. @param {string} key @param {boolean} [open] */
  function toggleGroup(key, open = !expanded.has(key)) {
    if (open) expanded.add(key);
    else expanded.delete(key);
    render();
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
    // The snapshot: one event, drawn at once rather than after the burst delay.
    render();
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

  const onKey = queueKeys({
    tbody: /** @type {HTMLTableSectionElement} */ (tbody),
    selectedId: () => selectedId,
    select,
    isExpanded: (key) => expanded.has(key),
    toggleGroup,
    togglePick: (id) => {
      bulk.toggle(id, !bulk.picked.has(id));
      render();
    },
    shortcut: (key) => detailView.shortcut(key),
  });

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
    clearTimeout(drawMore);
    detailView.destroy();
    bulk.destroy();
  };
}
