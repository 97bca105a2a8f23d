// Known conditions on the patient page: what the clinic knows of (permanent AF, a lead it
// watches), until when, and the weekly digests of the alerts they folded instead of opening.
import { api } from './api.js';
import { h, replace } from './dom.js';
import { formatDate, formatDateTime, kindLabel } from './format.js';

/** The alert kinds a condition may fold (never VT/VF, shocks or heart failure). */
const FOLDABLE = ['af_burden', 'af_fast_ventricular_rate', 'crt_pacing_loss', 'lead_integrity', 'capture_threshold', 'battery', 'connectivity_loss'];
const DAY = 86_400_000;

/** @param {string} patientId @returns {HTMLElement} the section, filled once loaded */
export function conditionsSection(patientId) {
  const list = h('div', { class: 'conditions' }, h('p', { class: 'muted' }, 'Loading…'));
  const status = h('p', { role: 'status', class: 'muted' });
  const kind = h('select', { name: 'kind', id: 'condition-kind' }, FOLDABLE.map((k) => h('option', { value: k }, kindLabel(k))));
  const reason = h('textarea', { name: 'reason', id: 'condition-reason', maxlength: '500', rows: '2', required: true });
  const expires = h('input', { type: 'date', name: 'expires', id: 'condition-expires', required: true, value: new Date(Date.now() + 90 * DAY).toISOString().slice(0, 10) });
  const form = h('form', { class: 'condition-form' },
    h('label', { for: 'condition-kind' }, 'Alert kind'), kind,
    h('label', { for: 'condition-reason' }, 'Reason'), reason,
    h('label', { for: 'condition-expires' }, 'Until'), expires,
    h('button', { type: 'submit' }, 'State known condition'));
  const base = `/v1/patients/${encodeURIComponent(patientId)}/conditions`;

  const render = (/** @type {any[]} */ conditions) => {
    if (conditions.length === 0) {
      replace(list, h('p', { class: 'muted' }, 'None: every alert opens.'));
      return;
    }
    replace(list, h('ul', { class: 'condition-list' }, conditions.map((c) => {
      const inForce = c.endedAt === null && Date.parse(c.expiresAt) > Date.now();
      const end = inForce ? h('button', { type: 'button', 'aria-label': `End the known condition ${kindLabel(c.kind)}` }, 'End') : null;
      end?.addEventListener('click', async () => {
        try {
          render((await api('POST', `${base}/${encodeURIComponent(c.id)}/end`, {})).conditions);
          status.textContent = `${kindLabel(c.kind)} alerts open again.`;
        } catch (err) {
          status.textContent = `Could not end it: ${err.message}`;
        }
      });
      const week = c.digests[0];
      return h('li', { class: inForce ? 'in-force' : 'ended' },
        h('strong', null, kindLabel(c.kind)), ' — ', c.reason,
        h('div', { class: 'muted' }, inForce ? `Alerts go to a weekly digest until ${formatDate(c.expiresAt)}` : (c.endedAt ? `Ended ${formatDateTime(c.endedAt)}` : `Expired ${formatDate(c.expiresAt)}`), ` · stated by ${c.createdBy}`),
        c.digests.length > 0
          ? h('div', { class: 'digest' }, `Folded: ${c.digests.map((g) => `week of ${formatDate(g.week)}: ${g.occurrences}`).join(' · ')}`,
            week ? h('div', { class: 'muted' }, `Latest: ${week.summary}`) : null)
          : h('div', { class: 'muted' }, 'Nothing folded yet.'),
        end);
    })));
  };

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const body = { kind: kind.value, reason: reason.value, expiresAt: new Date(`${expires.value}T23:59:59Z`).toISOString() };
      render((await api('POST', base, body)).conditions);
      reason.value = '';
      status.textContent = `${kindLabel(body.kind)} alerts now go to a weekly digest.`;
    } catch (err) {
      status.textContent = `Not stated: ${err.message}`;
    }
  });

  void api('GET', base).then((res) => render(res.conditions), (err) => replace(list, h('p', { class: 'error' }, `Could not load the known conditions: ${err.message}`)));
  return h('section', { 'aria-labelledby': 'conditions-h' },
    h('h2', { id: 'conditions-h' }, 'Known conditions'),
    list, h('details', null, h('summary', null, 'State a known condition'), form), status);
}
