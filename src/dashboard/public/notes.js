// Contact notes on the patient page: a phone call, a clinic visit or a message with the
// patient, noted outside any alert, newest contact first. The text is the clinician's own
// words; it goes into the page as text only.
import { api, query } from './api.js';
import { h, replace } from './dom.js';
import { formatDateTime } from './format.js';

/** @type {Record<string, string>} */
export const CONTACT_KINDS = { phone_call: 'Phone call', clinic_visit: 'Clinic visit', message: 'Message', other: 'Other' };
const MAX_CHARS = 2000;
const PAGE = 20;

/** "2026-12-06T09:30" in the viewer's time zone, for a datetime-local input. @param {number} t */
const localInput = (t) => new Date(t - new Date(t).getTimezoneOffset() * 60_000).toISOString().slice(0, 16);

/** @param {any} n */
function noteItem(n) {
  return h('li', { class: 'note' },
    h('div', { class: 'note-head' },
      h('strong', null, CONTACT_KINDS[n.kind] ?? n.kind), ' · ',
      h('time', { datetime: n.contactedAt }, formatDateTime(n.contactedAt)),
      h('span', { class: 'muted' }, ` · ${n.authorName || n.author}`)),
    h('p', { class: 'note-text' }, n.text));
}

/** @param {string} patientId @returns {HTMLElement} the card, filled once loaded */
export function notesSection(patientId) {
  const base = `/v1/patients/${encodeURIComponent(patientId)}/notes`;
  const list = h('ul', { class: 'note-list', id: 'notes-list' });
  const empty = h('p', { class: 'muted' }, 'Loading…');
  const more = h('button', { type: 'button', hidden: true }, 'Show older notes');
  const status = h('p', { role: 'status', class: 'muted' });
  const kind = h('select', { name: 'kind', id: 'note-kind' }, Object.entries(CONTACT_KINDS).map(([k, label]) => h('option', { value: k }, label)));
  const when = h('input', { type: 'datetime-local', name: 'contactedAt', id: 'note-when', value: localInput(Date.now()), max: localInput(Date.now() + 60_000) });
  const text = h('textarea', { name: 'text', id: 'note-text', maxlength: String(MAX_CHARS), rows: '3', required: true });
  const save = h('button', { type: 'submit' }, 'Add note');
  const form = h('form', { class: 'condition-form note-form' },
    h('label', { for: 'note-kind' }, 'Contact'), kind,
    h('label', { for: 'note-when' }, 'Date and time'), when,
    h('label', { for: 'note-text' }, 'Note'), text,
    save);
  /** @type {string | null} */
  let next = null;

  /** @param {boolean} fresh */
  async function load(fresh) {
    try {
      const res = await api('GET', `${base}${query({ limit: PAGE, before: fresh ? null : next })}`);
      if (fresh) replace(list);
      for (const n of res.notes) list.append(noteItem(n));
      next = res.next;
      more.hidden = next === null;
      empty.textContent = list.childElementCount === 0 ? 'No contact noted yet.' : '';
      empty.hidden = list.childElementCount > 0;
    } catch (err) {
      empty.hidden = false;
      empty.className = 'error';
      empty.textContent = `Could not load the contact notes: ${err.message}`;
    }
  }
  more.addEventListener('click', () => void load(false));

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const words = /** @type {HTMLTextAreaElement} */ (text).value.trim();
    if (words === '') {
      status.textContent = 'Write what the contact was about.';
      return;
    }
    const at = /** @type {HTMLInputElement} */ (when).value;
    /** @type {{ kind: string, text: string, contactedAt?: string }} */
    const body = { kind: /** @type {HTMLSelectElement} */ (kind).value, text: words };
    if (at) body.contactedAt = new Date(at).toISOString();
    save.setAttribute('disabled', '');
    try {
      await api('POST', base, body);
      /** @type {HTMLTextAreaElement} */ (text).value = '';
      /** @type {HTMLInputElement} */ (when).value = localInput(Date.now());
      status.textContent = `${CONTACT_KINDS[body.kind]} noted.`;
      await load(true);
    } catch (err) {
      status.textContent = `Not noted: ${err.message}`;
    } finally {
      save.removeAttribute('disabled');
    }
  });

  void load(true);
  return h('section', { class: 'card notes', 'aria-labelledby': 'notes-h' },
    h('h2', { id: 'notes-h' }, 'Contact notes'),
    h('details', null, h('summary', null, 'Note a contact'), form), status,
    empty, list, more);
}
