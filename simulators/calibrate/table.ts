// The calibration report: one row per figure, a column per profile, the published target last.
import type { NoiseProfile } from '../types.ts';
import { CONFOUNDERS, CRITERIA, WANDER_METRICS, type Figures } from './figures.ts';
import { LEADS, type LeadFigures, type LeadRow } from './lead.ts';

interface Row { label: string; get: (f: Figures) => number; digits: number; target: string }

const pct = (x: number): number => x * 100;

const ROWS: readonly Row[] = [
  { label: 'OptiVol crossings / event-free HF pt-yr', get: (f) => f.optivolCrossingsPerEventFreeYear, digits: 2, target: '1.3-1.5 (Yang 2013: 1.27; MID-HeFT 1.5)' },
  { label: 'PARTNERS-HF High, % of monthly evals', get: (f) => pct(f.partnersHighMonthlyShare), digits: 1, target: '~10 (Cowie 2013)' },
  { label: 'HF events / HF-monitored pt-yr', get: (f) => f.hfEventsPerHfPatientYear, digits: 3, target: '~0.15-0.2 (PARTNERS, Cowie)' },
  ...WANDER_METRICS.map((m): Row => ({ label: `${m}: median within-patient SD`, get: (f) => f.withinPatientSd[m] ?? Number.NaN, digits: 2, target: '-' })),
  ...WANDER_METRICS.map((m): Row => ({ label: `${m}: median lag-1 autocorr.`, get: (f) => f.lag1Autocorrelation[m] ?? Number.NaN, digits: 2, target: '> 0 (days-weeks)' })),
  { label: 'missed nights, %', get: (f) => pct(f.missedNightShare), digits: 1, target: '-' },
  ...CRITERIA.map((c): Row => ({ label: `HF patients ever meeting ${c}, %`, get: (f) => pct(f.criterionShare[c]), digits: 1, target: '-' })),
  { label: 'NSVT episodes / ICD pt-yr', get: (f) => f.nsvtPerIcdPatientYear, digits: 2, target: 'common (72 % of pts over 4.7 y)' },
  ...CONFOUNDERS.map((c): Row => ({ label: `${c} events`, get: (f) => f.confounderCounts[c] ?? 0, digits: 0, target: '-' })),
];

export function formatTable(results: ReadonlyArray<{ profile: NoiseProfile; figures: Figures }>): string {
  const header = ['figure', ...results.map((r) => r.profile), 'published target'];
  return render(header, ROWS.map((row) => [row.label, ...results.map((r) => fixed(row.get(r.figures), row.digits)), row.target]));
}

const fixed = (v: number, digits: number): string => (Number.isNaN(v) || v === null ? '-' : v.toFixed(digits));

/**
 * How early the profile's admissions can be told at all (lead.ts): the plain OptiVol index on
 * them, then per lead the median noise-free impedance fall and signal-to-noise, and the share
 * of admissions at 2 and 3 of the patient's own SDs.
 */
export function formatLeads(results: ReadonlyArray<{ profile: NoiseProfile; leads: LeadFigures }>): string {
  const header = ['admissions (real HF events)', ...results.map((r) => r.profile), 'published'];
  const row = (label: string, get: (l: LeadFigures) => string, published = '-'): string[] =>
    [label, ...results.map((r) => get(r.leads)), published];
  const at = (lead: number, get: (r: LeadRow) => number, digits: number, scale = 1): (l: LeadFigures) => string =>
    (l) => {
      const r = l.rows.find((x) => x.lead === lead);
      return r && l.withSignals > 0 ? fixed(get(r) * scale, digits) : '-';
    };
  const lines = [
    row('events on HF-monitored patients', (l) => String(l.events)),
    row('plain OptiVol: detected, %', (l) => fixed((100 * l.optivol.detected) / l.events, 1), '76.9 (MID-HeFT)'),
    row('plain OptiVol: warning p25/median/p75, d', (l) => l.optivol.warning.map((w) => fixed(w, 1)).join(' / ')),
    ...LEADS.flatMap((lead) => [
      row(`${lead} d before: median impedance fall, %`, at(lead, (r) => r.impedanceFallPct, 1)),
      row(`${lead} d before: median signal / patient SD`, at(lead, (r) => r.snrMedian, 2)),
      row(`${lead} d before: signal >= 2 / >= 3 SD, %`, (l) => `${at(lead, (r) => r.shareSnr2, 0, 100)(l)} / ${at(lead, (r) => r.shareSnr3, 0, 100)(l)}`),
    ]),
  ];
  return render(header, lines);
}

function render(header: string[], lines: string[][]): string {
  const all = [header, ...lines];
  const widths = header.map((_, i) => Math.max(...all.map((l) => (l[i] ?? '').length)));
  const last = header.length - 1;
  const fmt = (l: string[]): string => `| ${l.map((c, i) => (i === 0 || i === last ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 || i === last ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [fmt(header), rule, ...lines.map(fmt)].join('\n');
}
