// The transmission view of the patient page: each upload of the patient's devices in the
// period (the readings of one device the service stored together, from one gateway), when it
// was measured (device time) and received (service time), what it carried, and what the
// device usually sends that it lacked. Newest first, a page at a time.
import { api, query } from './api.js';
import { h, replace } from './dom.js';
import { formatDateTime, metricLabel } from './format.js';

const PAGE = 50;

/** "4 Mar 2026, 02:00" or "4 Mar 2026, 02:00 – 5 Mar 2026, 02:00". @param {string} a @param {string} b */
const span = (a, b) => (a === b ? formatDateTime(a) : `${formatDateTime(a)} – ${formatDateTime(b)}`);

/** @param {any} t */
function row(t) {
  const short = t.missing !== null && t.missing.length > 0;
  return h('tr', { class: short ? 'short' : '' },
    h('td', null, h('time', { datetime: t.receivedAt }, formatDateTime(t.receivedAt))),
    h('td', null, span(t.firstAt, t.lastAt)),
    h('td', { class: 'device' }, t.device),
    h('td', null, t.gateway),
    h('td', { class: 'num' }, String(t.readings)),
    h('td', null, t.metrics.map(metricLabel).join(', ')),
    h('td', { class: short ? 'missing' : 'muted' },
      t.missing === null ? 'Not enough earlier transmissions to say' : short ? t.missing.map(metricLabel).join(', ') : 'Nothing'));
}

/** @param {string} id the patient */
export function transmissionList(id) {
  const rows = h('tbody');
  const status = h('p', { class: 'muted', role: 'status' });
  const more = h('button', { type: 'button', hidden: true }, 'Older transmissions');
  const table = h('table', { class: 'episodes transmissions', hidden: true },
    h('thead', null, h('tr', null,
      ['Received (service time)', 'Measured (device time)', 'Device', 'Gateway', 'Readings', 'Metrics', 'Missing from the usual set'].map((c) => h('th', { scope: 'col' }, c)))),
    rows);
  const el = h('section', { class: 'transmission-list', id: 'transmissions', 'aria-labelledby': 'transmissions-h' },
    h('h2', { id: 'transmissions-h' }, 'Transmissions'),
    h('p', { class: 'muted' }, 'The readings of one device the service received together through one gateway. “Missing”: metrics the device sent in most of its previous 10 transmissions that this one lacked.'),
    status, table, more);
  let token = 0;
  /** @type {{ from: string, to: string, next: string | null }} */
  let at = { from: '', to: '', next: null };

  async function page(first) {
    const mine = first ? ++token : token;
    more.disabled = true;
    if (first) {
      el.dataset.ready = 'false';
      status.textContent = 'Loading transmissions…';
    }
    let res;
    try {
      res = await api('GET', `/v1/patients/${encodeURIComponent(id)}/transmissions${query({ from: at.from, to: at.to, limit: String(PAGE), before: first ? undefined : at.next ?? undefined })}`);
    } catch (err) {
      if (mine === token) status.textContent = `Could not load the transmissions: ${err.message}`;
      return;
    }
    if (mine !== token) return;
    if (first) replace(rows);
    rows.append(...res.transmissions.map(row));
    at.next = res.next;
    const n = rows.children.length;
    table.hidden = n === 0;
    status.textContent = n === 0 ? 'No transmission received in this period.' : `${n} transmission${n === 1 ? '' : 's'}${res.next ? ' (newest first; more below)' : ''}.`;
    more.hidden = res.next === null;
    more.disabled = false;
    el.dataset.ready = 'true';
  }
  more.addEventListener('click', () => void page(false));

  /** @param {string} from @param {string} to */
  function load(from, to) {
    at = { from, to, next: null };
    return page(true);
  }

  return { el, load };
}
