// Plain-text rendering of the evaluation: one row per alert kind, then the heart-failure row
// beside the published figures and the targets.
import type { KindResult } from './match.ts';
import type { Reference } from './published.ts';

const pct = (x: number | undefined): string => (x === undefined || Number.isNaN(x) ? '–' : `${(x * 100).toFixed(1)} %`);
const num = (x: number | undefined, digits: number): string => (x === undefined || Number.isNaN(x) ? '–' : x.toFixed(digits));

function render(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function kindTable(results: readonly KindResult[]): string {
  const header = ['kind', 'events', 'detected', 'sensitivity', 'unexplained/pt-yr', 'median warning d', 'alerts/100pt/wk', 'benign alerted'];
  const rows = results.map((r) => [
    r.kind, String(r.events), String(r.detected), pct(r.sensitivity), num(r.unexplainedPerPatientYear, 3),
    num(r.medianWarningDays, 1), num(r.burdenPer100PatientWeeks, 3), `${r.benignAlerted}/${r.benignEvents}`,
  ]);
  return render(header, rows);
}

export function referenceTable(hf: KindResult, references: readonly Reference[]): string {
  const header = ['heart failure', 'sensitivity', 'unexplained/pt-yr', 'median warning d', 'note'];
  const rows = [
    ['this engine (simulator)', pct(hf.sensitivity), num(hf.unexplainedPerPatientYear, 3), num(hf.medianWarningDays, 1), 'measured'],
    ...references.map((r) => [r.name, pct(r.sensitivity), num(r.unexplainedPerPatientYear, 2), num(r.medianWarningDays, 0), r.note]),
  ];
  return render(header, rows);
}
