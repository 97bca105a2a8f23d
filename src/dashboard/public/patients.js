// The patients of the user's sites, with risk status and open alerts, to open a patient page.
import { api } from './api.js';
import { h, replace } from './dom.js';
import { INSUFFICIENT_HELP, formatDate, nhs, openAlerts, riskBadge } from './format.js';

/** Pages of 1,000 read at most: 50,000 patients. */
const MAX_PAGES = 50;

/** @param {HTMLElement} main @param {any} _ctx */
export function renderPatients(main, _ctx) {
  document.title = 'Patients · Device clinic';
  const search = h('input', { id: 'patient-search', type: 'search', autocomplete: 'off' });
  const tbody = h('tbody');
  const status = h('p', { class: 'counts', role: 'status' }, 'Loading…');
  replace(main,
    h('div', { class: 'page-head' }, h('h1', null, 'Patients'), status),
    h('div', { class: 'filters' }, h('div', { class: 'field inline' }, h('label', { for: 'patient-search' }, 'Find by name, NHS number or device'), search)),
    h('table', { class: 'patients' },
      h('thead', null, h('tr', null, ['Patient', 'NHS number', 'Born', 'Site', 'Devices', 'HF risk', 'Open alerts'].map((t) => h('th', { scope: 'col' }, t)))),
      tbody));

  /** @type {any[]} */
  let patients = [];
  let more = false;
  let loading = true;
  let alive = true;

  function render() {
    const q = /** @type {HTMLInputElement} */ (search).value.trim().toLowerCase().replaceAll(' ', '');
    const rows = patients.filter((p) => !q || `${p.name}${p.nhsNumber ?? ''}${p.devices.join('')}${p.id}`.toLowerCase().replaceAll(' ', '').includes(q));
    status.textContent = `${rows.length} patient${rows.length === 1 ? '' : 's'}${more ? ` (the first ${patients.length} only: narrow the search by site)` : loading ? ' so far, loading…' : ''}`;
    replace(tbody, rows.map((p) => h('tr', null,
      h('td', null, h('a', { href: `/patients/${encodeURIComponent(p.id)}`, 'data-link': true }, p.name)),
      h('td', null, nhs(p.nhsNumber)),
      h('td', null, formatDate(p.dateOfBirth)),
      h('td', null, p.site),
      h('td', null, p.devices.join(', ')),
      h('td', null, p.risk ? riskCell(p.risk) : h('span', { class: 'muted' }, 'Not yet scored')),
      h('td', null, openAlerts(p.openAlerts)))));
  }
  search.addEventListener('input', render);

  /** @param {{ status: string, insufficientData?: boolean }} risk */
  function riskCell(risk) {
    const badge = riskBadge(risk);
    // The list has no room for the explanation the patient page gives; a tooltip carries it.
    return h('span', { class: `risk ${badge.cls}`, title: badge.cls === 'risk-insufficient' ? INSUFFICIENT_HELP : null }, badge.label);
  }

  // Every page, 1,000 at a time, so the search covers every patient of the user's sites; the
  // list shows as it grows. Past MAX_PAGES it stops and says so.
  (async () => {
    let after = null;
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await api('GET', `/v1/patients?limit=1000${after ? `&after=${encodeURIComponent(after)}` : ''}`);
      if (!alive) return;
      patients = patients.concat(res.patients);
      after = res.next;
      more = Boolean(after) && page === MAX_PAGES - 1;
      if (!after) break;
      render();
    }
    loading = false;
    render();
  })().catch((err) => {
    if (alive) status.textContent = err.status === 404 ? 'The patient list is not available on this service yet.' : `Could not load patients: ${err.message}`;
  });
  return () => {
    alive = false;
  };
}
