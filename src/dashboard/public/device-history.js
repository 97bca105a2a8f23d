// A patient's device history on the patient page: implant, generator changes, lead revisions,
// reprogramming and explant, as the clinic recorded them. The engine takes each in at its event
// time: a new lead or vector is not read as a lead fault, a new generator keeps the patient's
// heart-failure monitoring going.
import { api } from './api.js';
import { h, replace } from './dom.js';
import { formatDateTime } from './format.js';

const KINDS = {
  implant: 'Implant',
  generator_change: 'Generator change',
  lead_revision: 'Lead revision',
  reprogramming: 'Reprogramming',
  explant: 'Explant',
};
const LEADS = { ra: 'RA', rv: 'RV', lv: 'LV', shock: 'Shock' };

/** @param {any} e */
function describe(e) {
  const parts = [`${KINDS[e.kind] ?? e.kind} of ${e.serial}`];
  if (e.replaces) parts.push(`replacing ${e.replaces}`);
  if (e.leads.length > 0) parts.push(`leads ${e.leads.map((l) => LEADS[l] ?? l).join(', ')}`);
  if (e.metrics.length > 0) parts.push(`restarts ${e.metrics.join(', ')}`);
  return parts.join(' · ');
}

/** @param {any} e */
function recorded(e) {
  if (e.source === 'generator_change') return 'with the generator change';
  if (e.source === 'idco') return 'from a device clinic message';
  return `recorded by ${e.recordedBy ?? 'an administrator'} ${formatDateTime(e.recordedAt)}`;
}

/** @param {string} patientId @returns {HTMLElement} the section, filled once loaded */
export function deviceHistorySection(patientId) {
  const list = h('div', { class: 'device-history' }, h('p', { class: 'muted' }, 'Loading…'));
  const status = h('p', { role: 'status', class: 'muted' });
  const kind = h('select', { name: 'kind', id: 'event-kind' }, Object.entries(KINDS).map(([k, label]) => h('option', { value: k }, label)));
  const when = h('input', { type: 'datetime-local', name: 'at', id: 'event-at', required: true, value: new Date(Date.now() - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 16) });
  const serial = h('input', { type: 'text', name: 'serial', id: 'event-serial', required: true, maxlength: '64', autocomplete: 'off' });
  const replaces = h('input', { type: 'text', name: 'replaces', id: 'event-replaces', maxlength: '64', autocomplete: 'off' });
  const replacesRow = h('div', { class: 'replaces', hidden: true }, h('label', { for: 'event-replaces' }, 'Generator replaced (serial)'), replaces);
  const leadBoxes = Object.entries(LEADS).map(([value, label]) => h('label', { class: 'radio' }, h('input', { type: 'checkbox', name: 'leads', value }), ` ${label}`));
  const leads = h('fieldset', { class: 'leads' }, h('legend', null, 'Leads'), leadBoxes);
  const serialLabel = h('label', { for: 'event-serial' }, 'Device (serial)');
  const form = h('form', { class: 'condition-form event-form' },
    h('label', { for: 'event-kind' }, 'Event'), kind,
    h('label', { for: 'event-at' }, 'When'), when,
    serialLabel, serial, replacesRow, leads,
    h('button', { type: 'submit' }, 'Record event'));
  const sync = () => {
    const change = kind.value === 'generator_change';
    replacesRow.hidden = !change;
    replaces.required = change;
    serialLabel.textContent = change ? 'New generator (serial)' : 'Device (serial)';
    leads.hidden = change || kind.value === 'explant';
  };
  kind.addEventListener('change', sync);
  sync();
  const base = `/v1/patients/${encodeURIComponent(patientId)}/device-events`;

  const render = (/** @type {any[]} */ events) => {
    if (events.length === 0) {
      replace(list, h('p', { class: 'muted' }, 'Nothing recorded: the engine learns each device from its first reading.'));
      return;
    }
    replace(list, h('ol', { class: 'event-list', reversed: true }, events.map((e) => h('li', null,
      h('strong', null, formatDateTime(e.at)), ' — ', describe(e),
      h('div', { class: 'muted' }, recorded(e))))));
  };

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const chosen = leadBoxes.map((l) => /** @type {HTMLInputElement} */ (l.querySelector('input'))).filter((i) => i.checked).map((i) => i.value);
    /** @type {Record<string, unknown>} */
    const body = { kind: kind.value, at: new Date(when.value).toISOString(), serial: serial.value.trim() };
    if (kind.value === 'generator_change') body.replaces = replaces.value.trim();
    else if (chosen.length > 0 && kind.value !== 'explant') body.leads = chosen;
    try {
      render((await api('POST', base, body)).events);
      status.textContent = `${KINDS[kind.value]} recorded; the engine takes it in at its time.`;
      serial.value = '';
      replaces.value = '';
    } catch (err) {
      status.textContent = `Not recorded: ${err.message}`;
    }
  });

  void api('GET', base).then((res) => render(res.events), (err) => replace(list, h('p', { class: 'error' }, `Could not load the device history: ${err.message}`)));
  return h('section', { 'aria-labelledby': 'device-history-h' },
    h('h2', { id: 'device-history-h' }, 'Device history'),
    list, h('details', null, h('summary', null, 'Record an implant, generator change, lead revision…'), form), status);
}
