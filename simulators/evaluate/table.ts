// Plain-text rendering of the evaluation: per profile a row per alert kind, then one summary
// with a column per profile, the published figures and the targets.
import type { Clinic } from './episodes.ts';
import { describeClinic } from './episodes.ts';
import type { EvaluationResult, ProfileResult } from './evaluate.ts';
import { eligibilityOf } from './kinds.ts';
import { lifecycleReport } from './lifecycle-table.ts';
import type { KindMeasures } from './measures.ts';
import { JUDGED_PROFILE, type Reference, type Target } from './published.ts';
import type { Quartiles } from './stats.ts';
import type { TargetResult } from './summary.ts';

const missing = (x: number | undefined): x is undefined => x === undefined || Number.isNaN(x);
const pct = (x: number | undefined): string => (missing(x) ? '–' : `${(x * 100).toFixed(1)} %`);
const num = (x: number | undefined, digits: number): string => (missing(x) ? '–' : x.toFixed(digits));
const ci = ([lo, hi]: readonly [number, number]): string => (missing(lo) ? '' : ` (${(lo * 100).toFixed(1)}–${(hi * 100).toFixed(1)})`);
const quart = (q: Quartiles): string => (missing(q.median) ? '–' : `${num(q.p25, 1)} / ${num(q.median, 1)} / ${num(q.p75, 1)}`);

function render(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const ELIGIBLE_LABEL = { 'hf-monitored': 'HF', tachy: 'tachy', crt: 'CRT', all: 'all' } as const;

export function kindTable(p: ProfileResult): string {
  const header = [
    'kind', 'events', 'detected', 'sensitivity (95 % CI)', 'openings', 'PPV', 'unexpl./pt-yr', 'of',
    'warning p25/med/p75 d', 'openings/100pt/wk', 'look-alikes alerted',
  ];
  const row = (r: KindMeasures): string[] => [
    r.kind, String(r.events), String(r.detected), `${pct(r.sensitivity)}${ci(r.sensitivityCi)}`, String(r.openings),
    pct(r.ppv), num(r.unexplainedPerEligiblePatientYear, 3),
    r.kind === 'all kinds' ? 'all' : ELIGIBLE_LABEL[eligibilityOf(r.kind)],
    quart(r.warningDays), num(r.burdenPer100PatientWeeks, 3), `${r.benignAlerted}/${r.benignEvents}`,
  ];
  return render(header, [...p.kinds.map(row), row(p.allKinds)]);
}

export function summaryTable(profiles: readonly ProfileResult[]): string {
  const header = ['summary', ...profiles.map((p) => p.profile)];
  const rows: [string, (p: ProfileResult) => string][] = [
    ['HF sensitivity (95 % CI)', ({ summary: s }) => `${s.hfDetected}/${s.hfEvents} = ${pct(s.hfSensitivity)}${ci(s.hfSensitivityCi)}`],
    ['HF PPV', ({ summary: s }) => pct(s.hfPpv)],
    ['HF unexplained / HF-monitored pt-yr', ({ summary: s }) => num(s.hfUnexplainedPerHfPatientYear, 3)],
    ['HF warning p25 / median / p75, days', ({ summary: s }) => quart(s.hfWarningDays)],
    ['burden, all kinds / 100 pt / wk', ({ summary: s }) => num(s.burdenPer100PatientWeeks, 3)],
    ['device-event kinds detected', ({ summary: s }) => `${s.deviceEventsDetected}/${s.deviceEvents}`],
  ];
  return render(header, rows.map(([label, f]) => [label, ...profiles.map(f)]));
}

export function referenceTable(references: readonly Reference[]): string {
  const header = ['published (heart failure)', 'sensitivity', 'unexplained/pt-yr', 'median warning d'];
  return render(header, references.map((r) => [
    r.name, pct(r.sensitivity), num(r.unexplainedPerPatientYear, 2), num(r.medianWarningDays, 0),
  ]));
}

function targetValue(t: Target, x: number, digits: number): string {
  if (t.measure === 'hfSensitivity') return pct(x);
  return `${num(x, digits)}${t.unit ? ` ${t.unit}` : ''}`;
}

export function targetTable(targets: readonly TargetResult[]): string {
  const header = ['target', 'required', JUDGED_PROFILE, 'mark'];
  return render(header, targets.map((t) => [
    t.label,
    `${t.op === '>=' ? '≥' : '≤'} ${targetValue(t, t.value, 1)}`,
    t.pass === null ? 'not run' : targetValue(t, t.measured, 3),
    t.pass === null ? '–' : t.pass ? 'PASS' : 'FAIL',
  ]));
}

function heading(r: EvaluationResult, clinic: Clinic): string {
  const seeds = r.seeds.length === 1 ? `seed ${r.seeds[0]}` : `seeds ${r.seeds.join(', ')} (pooled)`;
  return `Engine against simulator ground truth: ${r.patients} patients × ${r.days} days, ${seeds}; ` +
    `the clinic: every alert ${describeClinic(clinic)}.`;
}

export const MATCH_NOTE = [
  'An opening of the same kind on the same device in [onset − 14 d, admission] (heart failure) or [onset − 1 d,',
  'end + 2 d] (other kinds) detects the event; PPV counts openings in such a window (heart failure: up to the',
  'event end) as explained, openings on a look-alike are not. Unexplained rates are per patient-year of the',
  'patients who can have the kind (of: HF = ICD/CRT, tachy = ICD/CRT-D, CRT = CRT-D/P); burden is over all',
  'patients. connectivity_loss is site-level (connectivityCheck) and not evaluated. See docs/evaluation.md.',
];

export function report(r: EvaluationResult): string {
  return [
    heading(r, r.clinic),
    ...r.profiles.flatMap((p) => ['', `Profile ${p.profile}: ${p.readings} readings`, kindTable(p)]),
    '',
    summaryTable(r.profiles),
    '',
    referenceTable(r.references),
    '',
    targetTable(r.targets),
    '',
    ...MATCH_NOTE,
    ...(r.lifecycle ?? []).flatMap((s) => ['', lifecycleReport(s)]),
  ].join('\n');
}
