// The episode list of the patient page: each ventricular episode, NSVT, ATP and shock the
// devices counted in their readings, with the episodes device clinic messages (HL7 IDCO)
// described one by one, newest first, for the chosen period.
import { api, query } from './api.js';
import { h, replace } from './dom.js';
import { formatDateTime, formatNumber } from './format.js';
import { valueText } from './device-records.js';

const CLASS_LABELS = {
  vt: 'Ventricular tachycardia', vf: 'Ventricular fibrillation', nsvt: 'Non-sustained VT', svt: 'SVT', af: 'AT/AF', other: 'Other',
  atp: 'Anti-tachycardia pacing (ATP)', shock: 'Shock',
};
const COUNT_WORDS = { vt: ['episode', 'episodes'], vf: ['episode', 'episodes'], nsvt: ['episode', 'episodes'], atp: ['therapy', 'therapies'], shock: ['shock', 'shocks'] };
const VENTRICULAR = new Set(['vt', 'vf', 'shock', 'atp']);

/** An IDCO result as words: `MDC_IDC_ENUM_EPISODE_THERAPY_RESULT_Success` → `Success`. @param {string} result */
const resultText = (result) => (result ? valueText(result.split(' ').at(-1) ?? '').replace(/^MDC_IDC_ENUM_EPISODE_THERAPY_RESULT_/, '') : '—');

/** @param {any} e */
function row(e) {
  const words = COUNT_WORDS[e.class];
  return h('tr', { class: VENTRICULAR.has(e.class) ? 'ventricular' : '' },
    h('td', null, h('time', { datetime: e.at }, formatDateTime(e.at)),
      h('div', { class: 'muted' }, e.source === 'idco' ? (e.timeOf === 'device' ? 'device time' : 'time of the report') : 'device time of the report')),
    h('td', { class: 'device' }, e.device),
    h('td', null, CLASS_LABELS[e.class] ?? e.class, e.vendorType ? h('div', { class: 'muted' }, valueText(e.vendorType.split(' ').at(-1) ?? '')) : null),
    h('td', null, e.count === null ? '1' : `${formatNumber(e.count)} ${words ? words[e.count === 1 ? 0 : 1] : ''}`.trim()),
    h('td', null, e.durationS === null ? '—' : `${formatNumber(e.durationS)} s`),
    h('td', null, e.therapy || '—'),
    h('td', null, resultText(e.result)),
    h('td', null, e.source === 'idco' ? 'Device clinic message (IDCO)' : 'Counter in a transmission',
      e.receivedAt ? h('div', { class: 'muted' }, `received ${formatDateTime(e.receivedAt)}`) : null));
}

/** @param {string} id the patient */
export function episodeList(id) {
  const body = h('div');
  const el = h('section', { class: 'episode-list', id: 'episode-list', 'aria-labelledby': 'episode-list-h' },
    h('h2', { id: 'episode-list-h' }, 'Episodes and therapies'), body);
  let token = 0;

  /** @param {string} from @param {string} to */
  async function load(from, to) {
    const mine = ++token;
    el.dataset.ready = 'false';
    replace(body, h('p', { class: 'muted' }, 'Loading episodes…'));
    let res;
    try {
      res = await api('GET', `/v1/patients/${encodeURIComponent(id)}/episodes${query({ from, to })}`);
    } catch (err) {
      if (mine === token) replace(body, h('p', { class: 'error' }, `Could not load the episodes: ${err.message}`));
      return;
    }
    if (mine !== token) return;
    replace(body, res.episodes.length === 0
      ? h('p', { class: 'muted' }, 'No ventricular episode, NSVT, ATP or shock in this period.')
      : [
        h('table', { class: 'episodes episode-table' },
          h('thead', null, h('tr', null, ['When', 'Device', 'Episode', 'Count', 'Duration', 'Therapy', 'Result', 'Source'].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', null, res.episodes.map(row))),
        res.truncated ? h('p', { class: 'muted' }, `Only the newest ${res.episodes.length} are listed: choose a shorter period to see the others.`) : null,
      ]);
    el.dataset.ready = 'true';
  }

  return { el, load };
}
