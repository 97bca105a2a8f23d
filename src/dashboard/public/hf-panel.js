// The heart-failure panel of the patient page: the HF risk status over the period as a band,
// then the fluid index (computed by the service's engine from the daily thoracic impedance,
// with its threshold), thoracic impedance with the engine's reference, night heart rate,
// activity, HRV, respiratory rate, CRT pacing and AF burden, stacked on one time axis with
// one cursor, the patient's alerts marked on each.
import uPlot from '/assets/vendor/uPlot.esm.js';
import { api, query } from './api.js';
import { h, replace } from './dom.js';
import { formatDate, formatDateTime, formatValue, metricLabel, unitLabel } from './format.js';
import { LINE, X_AXIS, alertMarks, drawLimits, drawMarks, yAxis, yRange } from './charts.js';

/** Metrics drawn in this panel (the other trends leave them out). */
export const HF_METRICS = new Set(['thoracic_impedance', 'night_heart_rate', 'activity', 'hrv_sdaam', 'respiratory_rate', 'crt_pacing_pct', 'af_burden']);

/**
 * The panel's rows after the fluid index, in the order the heart-failure criteria are read.
 * `criterion`: TriageHF's commonly quoted absolute criteria, the engine's defaults
 * (src/engine/hf/config.ts `absolute`, crt.minPct, af.burdenHours), drawn as a dotted line.
 */
const ROWS = [
  { metric: 'thoracic_impedance' },
  { metric: 'night_heart_rate', criterion: 85, word: 'above' },
  { metric: 'activity', criterion: 60, word: 'below' },
  { metric: 'hrv_sdaam', criterion: 60, word: 'below' },
  { metric: 'respiratory_rate' },
  { metric: 'crt_pacing_pct', criterion: 90, word: 'below' },
  { metric: 'af_burden', criterion: 6, word: 'above' },
];
const REFERENCE = '#8a5a00';
const RISK = { 1: { label: 'Low', fill: 'rgba(46, 125, 50, 0.35)' }, 2: { label: 'Medium', fill: 'rgba(196, 130, 0, 0.45)' }, 3: { label: 'High', fill: 'rgba(179, 38, 30, 0.55)' } };
const RANK = { Low: 1, Medium: 2, High: 3 };
const HEIGHT = 150;

/**
 * The patient's risk status over the period, the highest of her devices': steps of
 * { t (ms), level (1 Low, 2 Medium, 3 High, null before any status) }.
 * @param {any} hf the heart-failure answer @param {number} from ms
 */
export function riskSteps(hf, from) {
  const current = new Map(hf.devices.map((d) => [d.serial, d.riskAtFrom]));
  const level = () => {
    let best = null;
    for (const s of current.values()) if (s && (best === null || RANK[s] > best)) best = RANK[s];
    return best;
  };
  const steps = [{ t: from, level: level() }];
  for (const c of hf.riskChanges) {
    current.set(c.device, c.status);
    const l = level();
    if (l !== steps.at(-1).level) steps.push({ t: new Date(c.at).getTime(), level: l });
  }
  return steps;
}

/** @param {string} id the patient */
export function hfPanel(id) {
  const status = h('p', { class: 'counts', role: 'status' });
  const body = h('div', { class: 'hf-stack' });
  const el = h('section', { class: 'hf-panel', id: 'hf-panel', 'aria-labelledby': 'hf-h' },
    h('h3', { id: 'hf-h' }, 'Heart failure'),
    h('p', { class: 'muted hf-help' },
      'Fluid index: computed by this service from the daily thoracic impedance (OptiVol-style): while impedance stays below its slowly adapting reference, each day’s shortfall adds up (Ω·days); it resets when impedance rises back above. Dotted lines: the fluid threshold and TriageHF’s criteria. Times are the devices’ own.'),
    status, body);
  /** @type {uPlot[]} */
  let plots = [];
  let resize = null;
  let token = 0;

  function destroy() {
    resize?.disconnect();
    resize = null;
    for (const u of plots) u.destroy();
    plots = [];
  }

  /**
   * @param {{ from: string, to: string, series: Record<string, { unit: string, points: [number, number][] }> }} readings
   * @param {any[]} alerts
   */
  async function show(readings, alerts) {
    const mine = ++token;
    el.dataset.ready = 'false';
    status.textContent = 'Loading the heart-failure panel…';
    let hf;
    try {
      hf = await api('GET', `/v1/patients/${encodeURIComponent(id)}/heart-failure${query({ from: readings.from, to: readings.to })}`);
    } catch (err) {
      if (mine === token) status.textContent = `Could not load the heart-failure panel: ${err.message}`;
      return;
    }
    if (mine !== token) return;
    destroy();
    replace(body);
    draw(hf, readings, alerts);
    el.dataset.ready = 'true';
  }

  function draw(hf, readings, alerts) {
    const from = new Date(readings.from).getTime();
    const to = new Date(readings.to).getTime();
    const fromS = from / 1000;
    const toS = to / 1000;
    const marks = alertMarks(alerts, fromS, toS);
    const sync = `hf-${id}`;
    const width = () => Math.max(280, body.clientWidth || el.clientWidth || 600);
    /** One chart of the stack: xs in seconds, `lines` joined on them. */
    const chart = ({ key, title, unit, xs, lines, caption, count = false, limits = null, limitLabel, readoutOf, height = HEIGHT, hooks = {}, range }) => {
      const readout = h('span', { class: 'chart-readout muted', 'aria-hidden': 'true' });
      const plotEl = h('div', { class: 'chart-plot', 'aria-hidden': 'true' });
      body.append(h('figure', { class: 'chart hf-chart', 'data-metric': key },
        h('figcaption', null, h('span', { class: 'chart-title' }, title), unit ? h('span', { class: 'muted' }, ` (${unit})`) : null, readout, h('span', { class: 'chart-desc' }, caption)),
        plotEl));
      const u = new uPlot({
        width: width(), height,
        scales: { x: { time: true, range: [fromS, toS] }, y: { range: range ?? yRange(count, limits) } },
        legend: { show: false },
        cursor: { sync: { key: sync }, drag: { x: false, y: false } },
        series: [{}, ...lines.map((l) => ({ label: l.label, stroke: l.stroke ?? LINE, width: 1.5, dash: l.dash, spanGaps: false, points: { show: l.points ?? false, size: 4, fill: l.stroke ?? LINE }, ...(l.paths ? { paths: l.paths } : {}) }))],
        axes: [X_AXIS, { ...yAxis(key, ''), ...(hooks.axis ?? {}) }],
        hooks: {
          draw: [(p) => drawLimits(p, limits, limitLabel), (p) => drawMarks(p, marks), ...(hooks.draw ?? [])],
          setCursor: [(p) => {
            const i = p.cursor.idx;
            readout.textContent = i == null ? '' : readoutOf(i);
          }],
        },
      }, [xs, ...lines.map((l) => l.ys)], plotEl);
      plots.push(u);
      return u;
    };

    // The risk band: one row, coloured by status, with its letter, so colour is not the only cue.
    const steps = riskSteps(hf, from);
    const segments = steps.map((s, i) => ({ ...s, end: steps[i + 1]?.t ?? to }));
    const known = segments.filter((s) => s.level !== null);
    const bandCaption = known.length === 0
      ? 'No heart-failure risk status in this period.'
      : `Risk status: ${known.map((s) => `${RISK[s.level].label} ${formatDate(s.t)} – ${s.end >= to ? 'now' : formatDate(s.end)}`).join('; ')}.`;
    const levelAt = (t) => [...segments].reverse().find((s) => s.t <= t)?.level ?? null;
    const bandXs = [fromS, ...steps.slice(1).map((s) => s.t / 1000), toS];
    chart({
      key: 'hf_risk', title: 'Heart-failure risk status', unit: '', xs: bandXs, height: 100,
      lines: [{ label: 'risk', ys: bandXs.map((x) => levelAt(x * 1000)), stroke: 'transparent' }],
      caption: bandCaption, range: [0.5, 3.5],
      readoutOf: (i) => { const l = levelAt(bandXs[i] * 1000); return l ? ` ${RISK[l].label}` : ''; },
      hooks: {
        axis: { values: (_u, splits) => splits.map((v) => RISK[v]?.label ?? ''), splits: () => [1, 2, 3] },
        draw: [(p) => drawBand(p, segments)],
      },
    });

    // Fluid index, per device, joined on the days' times.
    const withDays = hf.devices.filter((d) => d.days.length > 0);
    const threshold = hf.devices[0]?.threshold ?? 60;
    if (withDays.length > 0) {
      const table = uPlot.join(withDays.map((d) => [d.days.map((x) => new Date(x.at).getTime() / 1000), d.days.map((x) => x.fluidIndex)]));
      const all = withDays.flatMap((d) => d.days);
      const counted = all.filter((x) => x.fluidIndex !== null);
      const learning = all.length - counted.length;
      const top = counted.reduce((m, x) => Math.max(m, x.fluidIndex), 0);
      const over = counted.filter((x) => x.fluidIndex >= x.threshold).length;
      const last = counted.at(-1);
      const caption = counted.length === 0
        ? `The reference impedance is still being learnt (${learning} day${learning === 1 ? '' : 's'} of impedance so far): no fluid index yet.`
        : `${counted.length} day${counted.length === 1 ? '' : 's'} from ${formatDate(counted[0].at)}; highest ${formatValue(top)} Ω·d; latest ${formatValue(last.fluidIndex)} Ω·d on ${formatDateTime(last.at)}; threshold ${threshold} Ω·d${over ? `, reached on ${over} day${over === 1 ? '' : 's'}` : ', not reached'}${learning ? `; ${learning} day${learning === 1 ? '' : 's'} learning the reference` : ''}.`;
      chart({
        key: 'fluid_index_engine', title: 'Fluid index (computed)', unit: 'Ω·d', xs: table[0], count: true,
        lines: table.slice(1).map((ys, i) => ({ label: withDays[i].serial, ys, points: ys.length <= 60 })),
        caption, limits: [threshold], limitLabel: (v) => `threshold ${v}`,
        range: (_u, _min, max) => [0, Math.max(threshold * 1.15, (max ?? 0) * 1.15)],
        readoutOf: (i) => {
          const v = table.slice(1).map((ys) => ys[i]).find((y) => y != null);
          return v == null ? ` learning · ${formatDateTime(table[0][i] * 1000)}` : ` ${formatValue(v)} Ω·d · ${formatDateTime(table[0][i] * 1000)}`;
        },
      });
    } else {
      body.append(h('p', { class: 'muted' }, 'Fluid index: no thoracic impedance in this period.'));
    }

    const absent = [];
    for (const row of ROWS) {
      const s = readings.series[row.metric];
      if (!s || s.points.length === 0) {
        absent.push(metricLabel(row.metric));
        continue;
      }
      const unit = unitLabel(s.unit);
      const pts = s.points;
      const n = pts.length;
      let lo = Infinity;
      let hi = -Infinity;
      for (const p of pts) {
        if (p[1] < lo) lo = p[1];
        if (p[1] > hi) hi = p[1];
      }
      const last = pts.at(-1);
      const tables = [[pts.map((p) => p[0] / 1000), pts.map((p) => p[1])]];
      const lines = [{ label: metricLabel(row.metric), ys: null, points: n <= 60 }];
      // Thoracic impedance with the engine's reference beside it (dashed).
      if (row.metric === 'thoracic_impedance') {
        for (const d of withDays) {
          tables.push([d.days.map((x) => new Date(x.at).getTime() / 1000), d.days.map((x) => x.reference)]);
          lines.push({ label: `reference ${d.serial}`, ys: null, stroke: REFERENCE, dash: [5, 4] });
        }
      }
      const table = tables.length === 1 ? tables[0] : uPlot.join(tables);
      lines.forEach((l, i) => { l.ys = table[i + 1]; });
      const crit = row.criterion === undefined ? '' : `; criterion ${row.word} ${row.criterion} ${unit}`;
      const ref = row.metric === 'thoracic_impedance' && withDays.length ? '; dashed: the reference the fluid index is measured against' : '';
      chart({
        key: row.metric, title: metricLabel(row.metric), unit, xs: table[0], lines,
        caption: `${n} reading${n === 1 ? '' : 's'} from ${formatDate(pts[0][0])}; range ${formatValue(lo)}–${formatValue(hi)} ${unit}; latest ${formatValue(last[1])} ${unit} on ${formatDateTime(last[0])}${crit}${ref}.`,
        limits: row.criterion === undefined ? null : [row.criterion], limitLabel: (v) => `criterion ${v}`,
        readoutOf: (i) => {
          const v = table[1][i];
          const r = table.length > 2 ? table.slice(2).map((ys) => ys[i]).find((y) => y != null) : null;
          if (v == null && r == null) return '';
          return ` ${v == null ? '—' : `${formatValue(v)} ${unit}`} · ${formatDateTime(table[0][i] * 1000)}${r == null ? '' : ` · reference ${formatValue(r)} ${unit}`}`;
        },
      });
    }
    if (absent.length) body.append(h('p', { class: 'flat-counts' }, `Not reported in this period: ${absent.join(', ')}.`));
    status.textContent = '';
    resize = new ResizeObserver(() => {
      for (const u of plots) {
        const w = width();
        if (Math.abs(w - u.width) > 4) u.setSize({ width: w, height: u.height });
      }
    });
    resize.observe(body);
  }

  return { el, show, destroy };
}

/** The risk band's segments, each filled with its status's colour and labelled with its letter. */
function drawBand(u, segments) {
  const ctx = u.ctx;
  const { top, height } = u.bbox;
  const dpr = devicePixelRatio || 1;
  ctx.save();
  ctx.font = `${11 * dpr}px system-ui, sans-serif`;
  ctx.textBaseline = 'middle';
  for (const s of segments) {
    if (s.level === null) continue;
    const x0 = u.valToPos(s.t / 1000, 'x', true);
    const x1 = u.valToPos(s.end / 1000, 'x', true);
    ctx.fillStyle = RISK[s.level].fill;
    const y = u.valToPos(s.level, 'y', true);
    ctx.fillRect(x0, y, Math.max(1, x1 - x0), top + height - y);
    if (x1 - x0 > 14 * dpr) {
      ctx.fillStyle = '#1f2328';
      ctx.fillText(RISK[s.level].label[0], x0 + 4 * dpr, top + height / 2);
    }
  }
  ctx.restore();
}
