// The calibration report: one row per figure, a column per profile, the published target last.
import type { NoiseProfile } from '../types.ts';
import { CONFOUNDERS, CRITERIA, WANDER_METRICS, type Figures } from './figures.ts';

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
  const lines = ROWS.map((row) => [row.label, ...results.map((r) => {
    const v = row.get(r.figures);
    return Number.isNaN(v) ? '-' : v.toFixed(row.digits);
  }), row.target]);
  const all = [header, ...lines];
  const widths = header.map((_, i) => Math.max(...all.map((l) => (l[i] ?? '').length)));
  const fmt = (l: string[]): string => `| ${l.map((c, i) => (i === 0 || i === l.length - 1 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
  return [fmt(header), `|${widths.map((w, i) => (i === 0 || i === widths.length - 1 ? `${'-'.repeat(w + 2)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...lines.map(fmt)].join('\n');
}
