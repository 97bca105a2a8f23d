// One patient: identity, devices, heart-failure risk, trend charts with alert markers,
// and every alert with its history.
import { api, query } from './api.js';
import { h, replace } from './dom.js';
import {
  INSUFFICIENT_HELP, PRIORITY_LABELS, RESOLUTION_LABELS, STATUS_LABELS, formatDate, formatDateTime, formatNumber, kindLabel, nhs, openAlerts, riskBadge,
} from './format.js';
import { drawCharts } from './charts.js';
import { HF_METRICS, hfPanel } from './hf-panel.js';
import { episodeList } from './episode-list.js';
import { transmissionList } from './transmissions.js';
import { historyItem } from './detail.js';
import { outcomeLabel } from './outcome.js';
import { connectivityCard, settingsList } from './device-records.js';
import { conditionsSection } from './conditions.js';
import { deviceHistorySection } from './device-history.js';
import { notesSection } from './notes.js';
import { settingsSection } from './settings.js';

const PERIODS = [30, 90, 365];
const DAY = 86_400_000;


/** @param {HTMLElement} main @param {any} ctx @param {string} id */
export function renderPatient(main, ctx, id) {
  document.title = 'Patient · Device clinic';
  let alive = true;
  let days = Number(new URLSearchParams(location.search).get('days'));
  if (!PERIODS.includes(days)) days = 90;
  /** @type {any} */
  let data = null;
  let destroyCharts = () => undefined;
  // The heart-failure panel first, then the other trends, the episode list and the transmissions, all for the chosen period.
  const hf = hfPanel(id);
  const episodes = episodeList(id);
  const transmissions = transmissionList(id);
  let chartToken = 0;

  const head = h('div', { class: 'page-head' }, h('p', { class: 'loading' }, 'Loading the patient…'));
  const summary = h('div', { class: 'patient-summary' });
  const periodPicker = h('fieldset', { class: 'period' },
    h('legend', null, 'Period'),
    PERIODS.map((d) => h('label', { class: 'radio' },
      h('input', { type: 'radio', name: 'period', value: String(d), checked: d === days, onchange: () => setPeriod(d) }),
      ` Last ${d} days`)));
  const chartStatus = h('p', { class: 'counts', role: 'status', id: 'chart-status' });
  const charts = h('div', { class: 'charts', id: 'charts' });
  const alertsBody = h('tbody');
  replace(main,
    h('p', { class: 'crumbs' }, h('a', { href: '/', 'data-link': true }, 'Alert queue'), ' › ', h('a', { href: '/patients', 'data-link': true }, 'Patients')),
    head,
    summary,
    h('section', { class: 'trends', 'aria-labelledby': 'trends-h' },
      h('div', { class: 'section-head' }, h('h2', { id: 'trends-h' }, 'Trends'), periodPicker, chartStatus),
      hf.el,
      h('h3', { class: 'trends-other' }, 'Leads, battery and arrhythmia'),
      charts),
    episodes.el,
    transmissions.el,
    conditionsSection(id),
    deviceHistorySection(id),
    notesSection(id),
    settingsSection(id),
    h('section', { 'aria-labelledby': 'alerts-h' },
      h('h2', { id: 'alerts-h' }, 'Alerts'),
      h('table', { class: 'patient-alerts' },
        h('thead', null, h('tr', null, ['Priority', 'Alert', 'Status', 'First seen', 'Raised', ''].map((t) => h('th', { scope: 'col' }, t)))),
        alertsBody)));

  async function load() {
    try {
      data = await api('GET', `/v1/patients/${encodeURIComponent(id)}`);
    } catch (err) {
      if (!alive) return;
      replace(head, h('h1', null, err.status === 404 ? 'Patient not found' : 'Could not load the patient'),
        h('p', { role: 'alert' }, err.status === 404 ? 'There is no such patient at your sites.' : err.message));
      return;
    }
    if (!alive) return;
    renderHead();
    renderAlerts();
    void loadReadings();
  }

  function renderHead() {
    const p = data.patient;
    document.title = `${p.name} · Device clinic`;
    replace(head,
      h('h1', null, p.name),
      h('p', { class: 'ids' }, `NHS number ${nhs(p.nhsNumber)} · born ${formatDate(p.dateOfBirth)}${p.sex && p.sex !== 'unknown' ? ` · ${p.sex}` : ''} · site ${p.site} · ${p.id}`));
    const risk = p.risk;
    const badge = risk ? riskBadge(risk) : null;
    // Wrong patient: a device clinic message for one of these devices named someone else.
    const mismatched = p.devices.filter((d) => typeof d !== 'string' && d.identityWarning);
    const warnings = mismatched.map((d) => h('div', { class: 'identity-warning', role: 'alert' },
      h('strong', null, `Check the enrolment of device ${d.serial}. `),
      `${d.identityWarning.messages} device clinic message${d.identityWarning.messages === 1 ? '' : 's'} for it gave another birth date than this patient's ` +
        `(last ${formatDateTime(d.identityWarning.lastSeenAt)}). Its readings and alerts may belong to someone else.`));
    replace(summary,
      ...warnings,
      h('div', { class: 'card' },
        h('h2', null, 'Heart-failure risk'),
        badge
          ? [h('p', { class: `risk ${badge.cls} risk-big` }, badge.label),
            badge.cls === 'risk-insufficient' ? h('p', { class: 'muted risk-help' }, INSUFFICIENT_HELP) : null,
            h('p', { class: 'muted' }, `Score ${formatNumber(risk.score)} · ${formatDateTime(risk.at)}`)]
          : h('p', { class: 'muted' }, 'Not yet scored')),
      h('div', { class: 'card' },
        h('h2', null, 'Open alerts'),
        h('p', { class: 'big' }, openAlerts(p.openAlerts))),
      h('div', { class: 'card card-wide' },
        h('h2', null, 'Devices'),
        h('table', { class: 'devices' },
          h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Serial'), h('th', { scope: 'col' }, 'First seen (service time)'), h('th', { scope: 'col' }, 'Last reading (device time)'),
            h('th', { scope: 'col' }, 'Settings and lead status'))),
          h('tbody', null, p.devices.map((d) => h('tr', null,
            h('td', { class: 'device' }, typeof d === 'string' ? d : d.serial),
            h('td', null, typeof d === 'string' ? '—' : formatDateTime(d.firstSeenAt)),
            h('td', null, typeof d === 'string' ? '—' : formatDateTime(d.lastReadingAt)),
            h('td', null, typeof d === 'string' ? '—' : settingsList(d.settings))))))),
      connectivityCard(data.connectivityEpisodes ?? []));
  }

  function renderAlerts() {
    const alerts = data.alerts;
    if (alerts.length === 0) {
      replace(alertsBody, h('tr', null, h('td', { colspan: '6', class: 'muted' }, 'No alerts.')));
      return;
    }
    replace(alertsBody, alerts.map((a) => {
      const historyRow = h('tr', { class: 'history-row', hidden: true }, h('td', { colspan: '6' }, h('ol', { class: 'history' })));
      const toggle = h('button', { type: 'button', 'aria-expanded': 'false', 'aria-label': `History of ${kindLabel(a.kind)} alert ${a.id}` }, 'History');
      toggle.addEventListener('click', async () => {
        const open = toggle.getAttribute('aria-expanded') !== 'true';
        toggle.setAttribute('aria-expanded', String(open));
        historyRow.hidden = !open;
        if (!open) return;
        const list = historyRow.querySelector('ol');
        replace(list, h('li', { class: 'muted' }, 'Loading…'));
        try {
          const res = await api('GET', `/v1/alerts/${encodeURIComponent(a.id)}/history`);
          replace(list, [...res.history].reverse().map(historyItem));
        } catch (err) {
          replace(list, h('li', { class: 'error' }, `Could not load the history: ${err.message}`));
        }
      });
      return [
        h('tr', { class: a.escalationLevel > 0 ? 'escalated' : '' },
          h('td', null, h('span', { class: `prio prio-${a.priority}` }, PRIORITY_LABELS[a.priority])),
          h('td', null, h('div', { class: 'kind' }, kindLabel(a.kind), a.escalationLevel > 0 ? h('span', { class: 'badge badge-esc' }, 'Escalated') : null), h('div', { class: 'summary' }, a.summary)),
          h('td', null, STATUS_LABELS[a.status] ?? a.status, a.resolution ? h('div', { class: 'muted' }, RESOLUTION_LABELS[a.resolution] ?? a.resolution) : null,
            a.status === 'resolved' ? h('div', { class: 'muted alert-outcome' }, `Outcome: ${outcomeLabel(a.outcome)}`) : null),
          h('td', null, h('time', { datetime: a.openedAt }, formatDateTime(a.openedAt))),
          h('td', null, h('time', { datetime: a.raisedAt }, formatDateTime(a.raisedAt))),
          h('td', null, toggle)),
        historyRow,
      ];
    }));
  }

  async function loadReadings() {
    const token = ++chartToken;
    const to = new Date();
    const from = new Date(to.getTime() - days * DAY);
    chartStatus.textContent = 'Loading readings…';
    let readings;
    try {
      readings = await api('GET', `/v1/patients/${encodeURIComponent(id)}/readings${query({ from: from.toISOString(), to: to.toISOString() })}`);
    } catch (err) {
      if (alive && token === chartToken) chartStatus.textContent = `Could not load readings: ${err.message}`;
      return;
    }
    if (!alive || token !== chartToken) return;
    destroyCharts();
    replace(charts);
    destroyCharts = drawCharts(charts, readings, data.alerts, { exclude: HF_METRICS });
    void hf.show(readings, data.alerts);
    void episodes.load(readings.from, readings.to);
    void transmissions.load(readings.from, readings.to);
    const n = Object.keys(readings.series).length;
    chartStatus.textContent = `${n} metric${n === 1 ? '' : 's'}, ${formatDate(readings.from)} to ${formatDate(readings.to)}`;
    charts.dataset.ready = 'true';
  }

  /** @param {number} d */
  function setPeriod(d) {
    days = d;
    history.replaceState(null, '', `${location.pathname}?days=${d}`);
    charts.dataset.ready = 'false';
    void loadReadings();
  }

  // A change to one of this patient's alerts refreshes the page's alerts and counts.
  let refreshing = false;
  const onChange = (ev) => {
    if (ev.detail.alert.patientId !== id || refreshing || !data) return;
    refreshing = true;
    setTimeout(async () => {
      try {
        const fresh = await api('GET', `/v1/patients/${encodeURIComponent(id)}`);
        if (!alive) return;
        data = { ...fresh };
        renderHead();
        renderAlerts();
      } catch {
        /* the next change tries again */
      } finally {
        refreshing = false;
      }
    }, 500);
  };
  ctx.store.addEventListener('change', onChange);
  void load();

  return () => {
    alive = false;
    ctx.store.removeEventListener('change', onChange);
    destroyCharts();
    hf.destroy();
  };
}
