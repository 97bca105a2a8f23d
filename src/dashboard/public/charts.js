// Trend charts: one uPlot per metric, sharing the period's time axis, with the patient's
// alerts marked where they opened. Each chart has a text caption for screen readers. The
// heart-failure metrics have their own stacked panel (hf-panel.js), which reuses the pieces
// exported here.
import uPlot from '/assets/vendor/uPlot.esm.js';
import { h } from './dom.js';
import { BATTERY_STATUS, PRIORITY_LABELS, formatDate, formatDateTime, formatDayMonth, formatValue, kindLabel, metricLabel, tickLabels, unitLabel } from './format.js';

const MARK_COLOURS = { high: '#b3261e', medium: '#8a5a00', low: '#3d5a80' };
/**
 * Limits drawn on a chart (dashed) and named in its caption: the engine's default hard limits
 * of lead impedance (src/engine/config.ts, lead.pacingMin/Max and shockMin/Max), outside which
 * a lead alert opens whatever the patient's baseline.
 */
const LIMITS = {
  ra_lead_impedance: [200, 2000], rv_lead_impedance: [200, 2000], lv_lead_impedance: [200, 2000], shock_impedance: [20, 200],
};
export const LINE = '#1d4f7a';

/**
 * The order a device clinic reads the trends beside the heart-failure panel in: leads (impedance,
 * capture, sensing), battery and capacitor, then arrhythmia and therapy counts, then rhythm and
 * pacing; heart-failure metrics last (they are drawn here only when the panel leaves them out).
 */
const ORDER = [
  'rv_lead_impedance', 'ra_lead_impedance', 'lv_lead_impedance', 'shock_impedance',
  'rv_capture_threshold', 'ra_capture_threshold', 'lv_capture_threshold', 'r_wave_amplitude', 'p_wave_amplitude',
  'battery_status', 'battery_longevity', 'battery_voltage', 'charge_time',
  'vt_episodes', 'vf_episodes', 'nsvt_episodes', 'atp_delivered', 'shocks_delivered', 'short_vv_intervals',
  'af_ventricular_rate', 'heart_rate', 'rv_pacing_pct',
  'fluid_index', 'thoracic_impedance', 'night_heart_rate', 'activity', 'hrv_sdaam', 'respiratory_rate', 'crt_pacing_pct', 'af_burden',
];

/** battery_status as device clinics abbreviate it on an axis: BOS, MOS, ERI/RRT, EOS. */
const BATTERY_TICKS = { 1: 'BOS', 2: 'MOS', 3: 'ERI/RRT', 4: 'EOS' };

/** Whole-number ticks only, for counts (no "0.5 episodes"). @param {number[]} splits */
const wholeTicks = (splits) => splits.map((v) => (v == null || !Number.isInteger(v) ? '' : String(v)));

/** The time axis every chart shares: day and month under each tick. */
export const X_AXIS = { stroke: '#4a4f55', grid: { stroke: '#e6e8eb', width: 1 }, ticks: { stroke: '#c9cdd2' }, values: (_u, splits) => splits.map((t) => formatDayMonth(t * 1000)) };

/** A value axis: counts in whole numbers, battery status in its abbreviations, others with the decimals their step needs. @param {string} metric @param {string} unit */
export function yAxis(metric, unit) {
  const values = metric === 'battery_status'
    ? (_u, splits) => splits.map((v) => BATTERY_TICKS[v] ?? '')
    : unit.startsWith('{') ? (_u, splits) => wholeTicks(splits)
      : (_u, splits, _axis, _space, incr) => tickLabels(splits, incr);
  return { stroke: '#4a4f55', grid: { stroke: '#e6e8eb', width: 1 }, ticks: { stroke: '#c9cdd2' }, size: 60, values, ...(metric === 'battery_status' ? { splits: () => [1, 2, 3, 4] } : {}) };
}

/** A value under the pointer in words: battery status by its name, others with their unit. @param {string} metric @param {number} v @param {string} unit */
export function valueText(metric, v, unit) {
  return metric === 'battery_status' ? (BATTERY_STATUS[v] ?? String(v)) : `${formatValue(v)} ${unit}`;
}

/** The patient's alerts opened within [fromS, toS] (seconds), to mark on charts. @param {any[]} alerts @param {number} fromS @param {number} toS */
export function alertMarks(alerts, fromS, toS) {
  return alerts.map((a) => ({ t: new Date(a.openedAt).getTime() / 1000, a })).filter((m) => m.t >= fromS && m.t <= toS);
}

/**
 * Padded y range. Counts (episodes, shocks) start at zero; a flat series (no VF episodes,
 * the usual case) gets a small range rather than uPlot's 0-100. A lower limit just under the
 * values (a shock lead at 30 Ohm, its limit 20) is brought into view, so the band shows where
 * the values sit against it; a far one is not (it would flatten the trend).
 * @param {boolean} count @param {number[] | null} [limits]
 */
export const yRange = (count, limits = null) => (_u, min, max) => {
  if (min === null || max === null) return [0, 1];
  if (count) return [0, Math.max(1, Math.ceil(max * 1.15))];
  let [lo, hi] = min === max ? (min === 0 ? [0, 1] : [min - Math.abs(min) * 0.1, max + Math.abs(max) * 0.1]) : uPlot.rangeNum(min, max, 0.1, true);
  if (limits) {
    const near = (hi - lo) * 0.6;
    if (limits[0] < lo && lo - limits[0] <= near) lo = limits[0] - near * 0.1;
    if (limits[1] > hi && limits[1] - hi <= near) hi = limits[1] + near * 0.1;
  }
  return [lo, hi];
};

/** @param {string[]} metrics */
export function chartOrder(metrics) {
  const rank = (m) => {
    const i = ORDER.indexOf(m);
    return i < 0 ? ORDER.length : i;
  };
  return [...metrics].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/**
 * @param {HTMLElement} container
 * @param {{ from: string, to: string, series: Record<string, { unit: string, points: [number, number][] }> }} readings
 * @param {any[]} alerts the patient's alerts; those opened within the period are marked
 * @param {{ exclude?: Set<string> }} [opts] metrics drawn elsewhere (the heart-failure panel)
 * @returns {() => void} destroy
 */
export function drawCharts(container, readings, alerts, { exclude = new Set() } = {}) {
  const fromS = new Date(readings.from).getTime() / 1000;
  const toS = new Date(readings.to).getTime() / 1000;
  const marks = alertMarks(alerts, fromS, toS);
  /** @type {uPlot[]} */
  const plots = [];
  // Counts that stayed at zero all period (no VF, no shocks: the usual case) are named in one
  // line under the charts rather than drawn as flat lines ahead of the trends that matter.
  const flat = (m) => readings.series[m].unit.startsWith('{') && readings.series[m].points.every((p) => p[1] === 0);
  const all = chartOrder(Object.keys(readings.series).filter((m) => !exclude.has(m)));
  const metrics = all.filter((m) => !flat(m));
  const quiet = all.filter(flat);
  const quietLine = quiet.length
    ? h('p', { class: 'flat-counts' }, `None in this period: ${quiet.map((m) => metricLabel(m)).join(', ')}.`)
    : null;
  if (metrics.length === 0) {
    container.append(quietLine ?? h('p', { class: 'empty' }, 'No readings in this period.'));
    return () => undefined;
  }
  if (marks.length) {
    container.append(h('div', { class: 'marker-key' },
      h('h3', null, 'Alert markers'),
      h('ul', null, marks.map(({ a }) => h('li', null,
        h('span', { class: `mark-swatch prio-${a.priority}`, 'aria-hidden': 'true' }, a.priority[0].toUpperCase()),
        `${PRIORITY_LABELS[a.priority]} · ${kindLabel(a.kind)} · ${formatDateTime(a.openedAt)}`)))));
  }
  for (const metric of metrics) {
    const s = readings.series[metric];
    const xs = s.points.map((p) => p[0] / 1000);
    const ys = s.points.map((p) => p[1]);
    const unit = unitLabel(s.unit);
    const plotEl = h('div', { class: 'chart-plot', 'aria-hidden': 'true' });
    const last = s.points.at(-1);
    let lo = Infinity;
    let hi = -Infinity;
    for (const y of ys) {
      if (y < lo) lo = y;
      if (y > hi) hi = y;
    }
    const n = s.points.length;
    const limits = LIMITS[metric] ?? null;
    const said = (v) => valueText(metric, v, unit);
    const caption = n
      ? `${n} reading${n === 1 ? '' : 's'} from ${formatDate(s.points[0][0])}; range ${said(lo)}–${said(hi)}; latest ${said(last[1])} on ${formatDateTime(last[0])} (device time)${limits ? `; limits ${limits[0]}–${limits[1]} ${unit}` : ''}.`
      : 'No readings in this period.';
    // The reading under the pointer, in words (the chart itself is a picture).
    const readout = h('span', { class: 'chart-readout muted', 'aria-hidden': 'true' });
    const fig = h('figure', { class: 'chart', 'data-metric': metric },
      h('figcaption', null, h('span', { class: 'chart-title' }, metricLabel(metric)), h('span', { class: 'muted' }, ` (${unit})`), readout, h('span', { class: 'chart-desc' }, caption)),
      plotEl);
    container.append(fig);
    const width = Math.max(280, plotEl.clientWidth || container.clientWidth || 600);
    const u = new uPlot({
      width,
      height: 150,
      scales: { x: { time: true, range: [fromS, toS] }, y: { range: metric === 'battery_status' ? [0.5, 4.5] : yRange(s.unit.startsWith('{'), limits) } },
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      series: [
        {},
        { label: metricLabel(metric), stroke: LINE, width: 1.5, points: { show: s.points.length <= 60, size: 4, fill: LINE }, ...(metric === 'battery_status' ? { paths: uPlot.paths.stepped({ align: 1 }) } : {}) },
      ],
      axes: [X_AXIS, yAxis(metric, s.unit)],
      hooks: {
        drawClear: [(plot) => drawBand(plot, limits)],
        draw: [(plot) => drawLimits(plot, limits), (plot) => drawMarks(plot, marks)],
        setCursor: [(plot) => {
          const i = plot.cursor.idx;
          readout.textContent = i == null || ys[i] == null ? '' : ` ${said(ys[i])} · ${formatDateTime(xs[i] * 1000)}`;
        }],
      },
    }, [xs, ys], plotEl);
    plots.push(u);
  }
  if (quietLine) container.append(quietLine);
  const resize = new ResizeObserver(() => {
    for (const u of plots) {
      const w = Math.max(280, u.root.parentElement?.clientWidth ?? 600);
      if (Math.abs(w - u.width) > 4) u.setSize({ width: w, height: 150 });
    }
  });
  resize.observe(container);
  return () => {
    resize.disconnect();
    for (const u of plots) u.destroy();
  };
}

/** The reference band between the limits (the range a lead is expected in), lightly shaded under the line. */
function drawBand(u, limits) {
  if (!limits) return;
  const { left, width, top, height } = u.bbox;
  const y0 = Math.max(top, Math.min(top + height, u.valToPos(limits[1], 'y', true)));
  const y1 = Math.max(top, Math.min(top + height, u.valToPos(limits[0], 'y', true)));
  if (y1 - y0 < 1) return;
  u.ctx.save();
  u.ctx.fillStyle = 'rgba(46, 125, 50, 0.07)';
  u.ctx.fillRect(left, y0, width, y1 - y0);
  u.ctx.restore();
}

/** A dotted line at each limit inside the chart's y range, labelled with its value. */
export function drawLimits(u, limits, label = (v) => `limit ${v}`) {
  if (!limits) return;
  const ctx = u.ctx;
  const { left, width, top, height } = u.bbox;
  const dpr = devicePixelRatio || 1;
  ctx.save();
  ctx.strokeStyle = '#8c1d18';
  ctx.fillStyle = '#8c1d18';
  ctx.lineWidth = dpr;
  ctx.setLineDash([2 * dpr, 3 * dpr]);
  ctx.font = `${10 * dpr}px system-ui, sans-serif`;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'bottom';
  for (const v of limits) {
    const y = Math.round(u.valToPos(v, 'y', true));
    if (y < top || y > top + height) continue;
    ctx.beginPath();
    ctx.moveTo(left, y);
    ctx.lineTo(left + width, y);
    ctx.stroke();
    ctx.fillText(label(v), left + width - 4 * dpr, y - 2 * dpr);
  }
  ctx.restore();
}

/** A dashed line at each alert's opening, with its priority's letter, so colour is not the only cue. */
export function drawMarks(u, marks) {
  const ctx = u.ctx;
  const { top, height } = u.bbox;
  const dpr = devicePixelRatio || 1;
  ctx.save();
  ctx.font = `${11 * dpr}px system-ui, sans-serif`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const { t, a } of marks) {
    const x = Math.round(u.valToPos(t, 'x', true));
    const colour = MARK_COLOURS[a.priority] ?? '#333';
    ctx.strokeStyle = colour;
    ctx.fillStyle = colour;
    ctx.lineWidth = dpr;
    ctx.setLineDash([4 * dpr, 3 * dpr]);
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, top + height);
    ctx.stroke();
    ctx.fillText(a.priority[0].toUpperCase(), x + 6 * dpr, top + 2 * dpr);
  }
  ctx.restore();
}
