// The outcome report: per alert kind, what the alerts raised at a site in a period turned
// out to be, and the positive predictive value. Site and period live in the URL.
import { api, query } from './api.js';
import { h, replace } from './dom.js';
import { OUTCOME_LABELS, kindLabel } from './format.js';

const DAY = 86_400_000;

/** A date input's value (YYYY-MM-DD, UTC) for a time. @param {number} t */
const isoDate = (t) => new Date(t).toISOString().slice(0, 10);

/** Column heads: the label without its examples; the full label as the title. @param {string} label */
const shortLabel = (label) => label.replace(/\s*\(.*\)$/, '');

/** @param {number | null} x */
const percent = (x) => (x === null ? '—' : `${Math.round(x * 100)} %`);

/** Site and period from the URL; the last 90 days up to today (inclusive) when absent. */
function readQuery() {
  const q = new URLSearchParams(location.search);
  const today = isoDate(Date.now());
  const date = (/** @type {string | null} */ v, /** @type {string} */ fallback) => (v && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : fallback);
  return { site: q.get('site') ?? '', from: date(q.get('from'), isoDate(Date.now() - 89 * DAY)), until: date(q.get('until'), today) };
}

/** @param {HTMLElement} main @param {any} ctx */
export function renderOutcomes(main, ctx) {
  document.title = 'Outcomes · Device clinic';
  let alive = true;
  let token = 0;
  const f = readQuery();
  /** @type {string[]} */
  const sites = ctx.me?.sites ?? [];

  const site = /** @type {HTMLSelectElement} */ (h('select', { id: 'outcomes-site' },
    h('option', { value: '' }, sites.length === 1 ? sites[0] : 'All my sites'),
    sites.length > 1 ? sites.map((s) => h('option', { value: s, selected: s === f.site }, s)) : null));
  const from = /** @type {HTMLInputElement} */ (h('input', { type: 'date', id: 'outcomes-from', value: f.from, required: true }));
  const until = /** @type {HTMLInputElement} */ (h('input', { type: 'date', id: 'outcomes-until', value: f.until, required: true }));
  const status = h('p', { class: 'counts', role: 'status', id: 'outcomes-status' });
  const table = h('div', { class: 'outcomes-table' });
  const form = h('form', { class: 'filters outcomes-filters', onsubmit: (/** @type {Event} */ ev) => { ev.preventDefault(); apply(); } },
    h('div', { class: 'field' }, h('label', { for: 'outcomes-site' }, 'Site'), site),
    h('div', { class: 'field' }, h('label', { for: 'outcomes-from' }, 'Raised from'), from),
    h('div', { class: 'field' }, h('label', { for: 'outcomes-until' }, 'Until (inclusive)'), until),
    h('button', { type: 'submit', class: 'primary' }, 'Show'));

  replace(main,
    h('h1', null, 'Outcomes'),
    h('p', { class: 'hint' },
      'What the alerts raised in the period turned out to be, as recorded when they were resolved or later. ',
      'PPV (positive predictive value) is the share of resolved alerts with an outcome that were confirmed ',
      '(treated or not); its range is the 95 % Wilson interval.'),
    form, status, table);

  function apply() {
    if (!from.value || !until.value) {
      status.textContent = 'Choose both dates.';
      return;
    }
    if (until.value < from.value) {
      status.textContent = 'The end of the period is before its start.';
      return;
    }
    history.replaceState(null, '', `/reports/outcomes${query({ site: site.value, from: from.value, until: until.value })}`);
    void load();
  }

  async function load() {
    const mine = ++token;
    status.textContent = 'Loading…';
    const to = isoDate(Date.parse(`${until.value}T00:00:00Z`) + DAY);
    try {
      const report = await api('GET', `/v1/reports/outcomes${query({ site: site.value, from: from.value, to })}`);
      if (!alive || mine !== token) return;
      status.textContent = `${report.total.raised} alert${report.total.raised === 1 ? '' : 's'} raised, ${report.total.resolved} resolved.`;
      replace(table, report.kinds.length === 0 ? h('p', { class: 'muted' }, 'No alerts were raised in this period.') : reportTable(report));
    } catch (err) {
      if (!alive || mine !== token) return;
      status.textContent = '';
      replace(table, h('p', { class: 'error', role: 'alert' }, `Could not load the report: ${/** @type {Error} */ (err).message}`));
    }
  }

  void load();
  return () => {
    alive = false;
  };
}

/** @param {any} report */
function reportTable(report) {
  const outcomes = Object.keys(OUTCOME_LABELS);
  /** @param {any} r @param {string} label */
  const row = (r, label) => h('tr', null,
    h('th', { scope: 'row' }, label),
    h('td', { class: 'num' }, String(r.raised)),
    h('td', { class: 'num' }, String(r.resolved)),
    outcomes.map((o) => h('td', { class: 'num', dataset: { outcome: o } }, String(r.outcomes[o] ?? 0))),
    h('td', { class: 'num' }, String(r.withoutOutcome)),
    h('td', { class: 'num ppv' }, percent(r.ppv), r.ppv === null ? null : h('span', { class: 'muted' }, ` (${percent(r.ppvLow)}–${percent(r.ppvHigh)})`)));
  return h('table', { class: 'outcomes', id: 'outcomes-report' },
    h('caption', { class: 'visually-hidden' }, 'Alerts by kind and outcome'),
    h('thead', null, h('tr', null,
      h('th', { scope: 'col' }, 'Kind'),
      h('th', { scope: 'col' }, 'Raised'),
      h('th', { scope: 'col' }, 'Resolved'),
      outcomes.map((o) => h('th', { scope: 'col', title: OUTCOME_LABELS[o] }, shortLabel(OUTCOME_LABELS[o] ?? o))),
      h('th', { scope: 'col' }, 'No outcome recorded'),
      h('th', { scope: 'col' }, 'PPV (95 % interval)'))),
    h('tbody', null, report.kinds.map((/** @type {any} */ k) => row(k, kindLabel(k.kind)))),
    h('tfoot', null, row(report.total, 'All kinds')));
}
