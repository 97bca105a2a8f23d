// The patients of the user's sites, with risk status and open alerts, to open a patient page.
// The service searches and pages (GET /v1/patients?q=&after=&limit=): names are sealed at
// rest, so the page never holds more than one page of patients.
import { api, query } from './api.js';
import { h, replace } from './dom.js';
import { INSUFFICIENT_HELP, formatDate, nhs, openAlerts, riskBadge } from './format.js';

export const PAGE_SIZE = 50;
/** The pause after typing before the search is sent (Enter sends it at once). */
const DEBOUNCE_MS = 400;

/** @param {HTMLElement} main @param {any} _ctx */
export function renderPatients(main, _ctx) {
  document.title = 'Patients · Device clinic';
  const initial = new URLSearchParams(location.search).get('q') ?? '';
  const search = h('input', { id: 'patient-search', type: 'search', autocomplete: 'off', value: initial, 'aria-describedby': 'patient-search-help', maxlength: 100 });
  const tbody = h('tbody');
  const status = h('p', { class: 'counts', role: 'status', 'aria-live': 'polite' }, 'Loading…');
  const prev = h('button', { type: 'button', disabled: true }, 'Previous');
  const next = h('button', { type: 'button', disabled: true }, 'Next');
  const pageLabel = h('span', { class: 'muted' });
  const form = h('form', { class: 'filters', role: 'search', onsubmit: (/** @type {Event} */ ev) => { ev.preventDefault(); now(); } },
    h('div', { class: 'field inline' },
      h('label', { for: 'patient-search' }, 'Find by name, NHS number or device'),
      search,
      h('button', { type: 'submit' }, 'Search')),
    h('p', { id: 'patient-search-help', class: 'muted help' }, 'Whole words of the name (Grace Okafor, okafor), the 10-digit NHS number, or a device serial or its start.'));
  replace(main,
    h('div', { class: 'page-head' }, h('h1', null, 'Patients'), status),
    form,
    h('table', { class: 'patients' },
      h('thead', null, h('tr', null, ['Patient', 'NHS number', 'Born', 'Site', 'Devices', 'HF risk', 'Open alerts'].map((t) => h('th', { scope: 'col' }, t)))),
      tbody),
    h('nav', { class: 'pager', 'aria-label': 'Patient pages' }, prev, pageLabel, next));

  let alive = true;
  /** Answers to older requests are dropped: only the latest search shows. */
  let asked = 0;
  /** The `after` of each page shown so far: [''] on the first page. */
  let cursors = [''];
  /** @type {string | null} */
  let nextCursor = null;
  let q = initial.trim();
  /** @type {ReturnType<typeof setTimeout> | null} */
  let timer = null;

  /** @param {any[]} patients */
  function render(patients) {
    const more = nextCursor !== null;
    const page = cursors.length;
    const n = patients.length;
    const what = q ? ` matching “${q}”` : '';
    status.textContent = n === 0 && page === 1
      ? (q ? `No patients match “${q}”.` : 'No patients at your sites yet.')
      : `${n} patient${n === 1 ? '' : 's'}${what}${page > 1 ? ` on page ${page}` : ''}${more ? ', more on the next page' : page > 1 ? ', the last page' : ''}`;
    pageLabel.textContent = page > 1 || more ? `Page ${page}` : '';
    /** @type {HTMLButtonElement} */ (prev).disabled = page === 1;
    /** @type {HTMLButtonElement} */ (next).disabled = !more;
    replace(tbody, patients.map((p) => h('tr', null,
      h('td', null, h('a', { href: `/patients/${encodeURIComponent(p.id)}`, 'data-link': true }, p.name)),
      h('td', null, nhs(p.nhsNumber)),
      h('td', null, formatDate(p.dateOfBirth)),
      h('td', null, p.site),
      h('td', null, p.devices.join(', ')),
      h('td', null, p.risk ? riskCell(p.risk) : h('span', { class: 'muted' }, 'Not yet scored')),
      h('td', null, openAlerts(p.openAlerts)))));
  }

  /** @param {{ status: string, insufficientData?: boolean }} risk */
  function riskCell(risk) {
    const badge = riskBadge(risk);
    // The list has no room for the explanation the patient page gives; a tooltip carries it.
    return h('span', { class: `risk ${badge.cls}`, title: badge.cls === 'risk-insufficient' ? INSUFFICIENT_HELP : null }, badge.label);
  }

  /** Show the page that starts after the last of `cursors`. */
  async function load() {
    const mine = ++asked;
    status.textContent = 'Loading…';
    try {
      const res = await api('GET', `/v1/patients${query({ q, after: cursors.at(-1), limit: PAGE_SIZE })}`);
      if (!alive || mine !== asked) return;
      nextCursor = res.next;
      render(res.patients);
    } catch (err) {
      if (!alive || mine !== asked) return;
      nextCursor = null;
      render([]);
      const e = /** @type {any} */ (err);
      // A refused search (400) says why in the service's words: what to type instead.
      status.textContent = e.status === 400 ? `Cannot search for that: ${e.message}` : e.status === 404 ? 'The patient list is not available on this service yet.' : `Could not load patients: ${e.message}`;
    }
  }

  /** Search for what the box holds now, from the first page; the address keeps it. */
  function now() {
    if (timer) clearTimeout(timer);
    timer = null;
    const value = /** @type {HTMLInputElement} */ (search).value.trim();
    q = value;
    cursors = [''];
    history.replaceState(history.state, '', `/patients${query({ q })}`);
    void load();
  }

  search.addEventListener('input', () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(now, DEBOUNCE_MS);
  });
  next.addEventListener('click', () => {
    if (nextCursor === null) return;
    cursors.push(nextCursor);
    void load();
  });
  prev.addEventListener('click', () => {
    if (cursors.length === 1) return;
    cursors.pop();
    void load();
  });

  void load();
  return () => {
    alive = false;
    if (timer) clearTimeout(timer);
  };
}
