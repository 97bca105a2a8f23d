// Engine settings on the patient page: the patient's override as JSON, previewed over the
// patient's stored history before it is applied (alerts gained and lost, named), then applied
// or removed. The preview writes nothing.
import { api } from './api.js';
import { h, replace } from './dom.js';
import { formatDateTime, kindLabel } from './format.js';

/** @param {number | null} x */
const pct = (x) => (x === null ? '–' : `${Math.round(x * 100)} %`);

/** @param {string} patientId @returns {HTMLElement} */
export function settingsSection(patientId) {
  const base = `/v1/patients/${encodeURIComponent(patientId)}/engine-settings`;
  const status = h('p', { role: 'status', class: 'muted' });
  const current = h('p', { class: 'muted' }, 'Loading…');
  const text = h('textarea', { id: 'settings-json', name: 'settings', rows: '4', spellcheck: 'false', placeholder: '{"af": {"burdenHours": 12}}' });
  const result = h('div', { class: 'preview', 'aria-live': 'polite' });
  const preview = h('button', { type: 'submit' }, 'Preview');
  const apply = h('button', { type: 'button', disabled: true }, 'Apply');
  const remove = h('button', { type: 'button', hidden: true }, 'Remove override');
  let previewed = '';

  /** @param {any} s */
  const show = (s) => {
    replace(current, s.settings
      ? h('span', null, 'This patient’s override: ', h('code', null, JSON.stringify(s.settings)))
      : h('span', null, 'No override: the site’s settings (or the defaults) apply.'));
    remove.hidden = !s.settings;
  };

  /** @param {string} title @param {any[]} list */
  const openings = (title, list) => list.length === 0 ? null : h('div', null, h('h3', null, title),
    h('ul', { class: `preview-${title === 'Would no longer open' ? 'lost' : 'gained'}` },
      list.map((o) => h('li', null, h('strong', null, kindLabel(o.kind)), ` · ${o.device} · ${formatDateTime(o.at)} — ${o.summary}`))));

  /** @param {any} r */
  const renderPreview = (r) => {
    const kinds = Object.entries(r.kinds);
    const changed = kinds.some(([, k]) => k.gained > 0 || k.lost > 0);
    replace(result,
      h('p', null, `${r.readings.toLocaleString()} stored readings of ${r.devices} device${r.devices === 1 ? '' : 's'} replayed in ${r.seconds} s. `,
        changed ? 'The proposal changes these alerts:' : 'The proposal changes no alert.'),
      kinds.length === 0 ? null : h('table', { class: 'preview-kinds' },
        h('thead', null, h('tr', null, ['Alert', 'Stored', 'Now', 'Proposed', 'Gained', 'Lost', 'PPV now → proposed'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, kinds.map(([kind, k]) => h('tr', { class: k.gained || k.lost ? 'changed' : null },
          h('th', { scope: 'row' }, kindLabel(kind)), h('td', null, String(k.stored)), h('td', null, String(k.current)), h('td', null, String(k.proposed)),
          h('td', null, String(k.gained)), h('td', null, String(k.lost)), h('td', null, `${pct(k.ppv.current)} → ${pct(k.ppv.proposed)}`))))),
      openings('Would no longer open', r.lost),
      openings('Would open', r.gained),
      r.truncated ? h('p', { class: 'muted' }, 'More changed than listed; npm run replay lists them all.') : null);
  };

  /** @returns {unknown} */
  const parsed = () => {
    const raw = text.value.trim() === '' ? '{}' : text.value;
    return JSON.parse(raw);
  };

  const form = h('form', { class: 'settings-form' },
    h('label', { for: 'settings-json' }, 'Proposed override (JSON; it replaces the patient’s override)'), text,
    h('div', { class: 'actions' }, preview, apply, remove));
  text.addEventListener('input', () => {
    apply.disabled = text.value !== previewed;
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    let body;
    try {
      body = parsed();
    } catch {
      status.textContent = 'Not previewed: the override is not valid JSON.';
      return;
    }
    status.textContent = 'Replaying the patient’s history…';
    try {
      renderPreview(await api('POST', `${base}/preview`, body));
      previewed = text.value;
      apply.disabled = false;
      status.textContent = 'Preview ready: nothing has changed yet.';
    } catch (err) {
      replace(result);
      status.textContent = `Not previewed: ${err.message}`;
    }
  });
  apply.addEventListener('click', async () => {
    try {
      show(await api('PUT', base, parsed()));
      apply.disabled = true;
      status.textContent = 'Applied: the patient’s devices are scored with it from their next reading.';
    } catch (err) {
      status.textContent = `Not applied: ${err.message}`;
    }
  });
  remove.addEventListener('click', async () => {
    try {
      show(await api('DELETE', base));
      status.textContent = 'Override removed: the site’s settings apply again.';
    } catch (err) {
      status.textContent = `Not removed: ${err.message}`;
    }
  });
  void api('GET', base).then((s) => {
    show(s);
    if (s.settings) text.value = JSON.stringify(s.settings, null, 2);
  }, (err) => replace(current, h('span', { class: 'error' }, `Could not load the settings: ${err.message}`)));
  return h('section', { 'aria-labelledby': 'settings-h' },
    h('h2', { id: 'settings-h' }, 'Engine settings'),
    current,
    h('details', null, h('summary', null, 'Preview and change this patient’s settings'), form, result),
    status);
}
