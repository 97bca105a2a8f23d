// Plain-text rendering of the lifecycle section (lifecycle.ts): per event kind the alerts opened
// in the 30 days after the events with them recorded and without, the verdict, and the whole
// lifecycle cohort's summary both ways.
import type { ProfileResult } from './evaluate.ts';
import type { LifecycleSection, StormVerdict, WindowMeasures } from './lifecycle.ts';

const missing = (x: number | undefined): x is undefined => x === undefined || Number.isNaN(x);
const num = (x: number | undefined, digits: number): string => (missing(x) ? '–' : x.toFixed(digits));
const pct = (x: number | undefined): string => (missing(x) ? '–' : `${(x * 100).toFixed(1)} %`);

/** Columns in `left` are left-aligned (labels, lists), the others right-aligned (figures). */
function render(header: readonly string[], rows: readonly (readonly string[])[], left: readonly number[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (left.includes(i) ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function byKind(w: WindowMeasures): string {
  const parts = Object.entries(w.byKind).sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0) || a[0].localeCompare(b[0]));
  return parts.length === 0 ? '–' : parts.map(([k, n]) => `${k} ${n}`).join(', ');
}

function windowTable(s: LifecycleSection, arm: 'recorded' | 'unrecorded'): string {
  const header = ['event', 'events', 'alerts', 'per 100 events', 'max in one', 'events with > 1', 'alerts by kind'];
  return render(header, s.arms[arm].windows.map((w) => [
    w.kind, String(w.events), String(w.alerts), num(w.per100Events, 1), String(w.maxPerEvent), String(w.eventsOverOne), byKind(w),
  ]), [0, header.length - 1]);
}

function verdict(v: StormVerdict): string {
  if (v.pass === null) return `${v.kind}: no events`;
  return `${v.kind} ${v.pass ? 'PASS' : 'FAIL'} (${num(v.recorded, 2)} per event recorded, ${num(v.unrecorded, 2)} not recorded)`;
}

function cohortTable(recorded: ProfileResult, unrecorded: ProfileResult): string {
  const rows: [string, (p: ProfileResult) => string][] = [
    ['HF sensitivity', ({ summary: s }) => `${s.hfDetected}/${s.hfEvents} = ${pct(s.hfSensitivity)}`],
    ['HF unexplained / HF-monitored pt-yr', ({ summary: s }) => num(s.hfUnexplainedPerHfPatientYear, 3)],
    ['HF warning median, days', ({ summary: s }) => num(s.hfMedianWarningDays, 1)],
    ['unexplained, all kinds / pt-yr', ({ allKinds: a }) => num(a.unexplainedPerEligiblePatientYear, 3)],
    ['burden, all kinds / 100 pt / wk', ({ summary: s }) => num(s.burdenPer100PatientWeeks, 3)],
    ['device-event kinds detected', ({ summary: s }) => `${s.deviceEventsDetected}/${s.deviceEvents}`],
  ];
  return render(['the lifecycle cohort, main-table measures', 'recorded', 'not recorded'],
    rows.map(([label, f]) => [label, f(recorded), f(unrecorded)]), [0]);
}

export function lifecycleReport(s: LifecycleSection): string {
  const seeds = s.seeds.length === 1 ? `seed ${s.seeds[0]}` : `seeds ${s.seeds.join(', ')} (pooled)`;
  const e = s.events;
  const w = s.windowDays;
  return [
    `Device lifecycle events, profile ${s.profile}: ${s.patients} patients × ${s.days} days, ${seeds}, the same cohort with lifecycle events;`,
    `${e.implant} implants, ${e.generator_change} generator changes (each with an explant of the replaced generator), ` +
      `${e.lead_revision} lead revisions, ${e.reprogramming} reprogrammings.`,
    `Alert openings in the ${w} days after each event on the patient's devices that no real scenario explains`,
    `(connectivity_loss counted for a replaced generator that stops transmitting and was not explanted).`,
    '',
    'Recorded: the events passed to the engine (a new generator starts from carryOver of the one it replaced, which ends with an explant)',
    windowTable(s, 'recorded'),
    '',
    'Not recorded: the same readings without events (each serial starts new; the replaced generator is not explanted)',
    windowTable(s, 'unrecorded'),
    '',
    `Background: patients without events open ${num(s.arms.recorded.backgroundPer100PatientMonths, 1)} such alerts per 100 patient-months (${w} days) over the days events fall on.`,
    `No alert storm (at most one alert per event in the ${w} days after it, recorded):`,
    ...s.storm.map((v) => `  ${verdict(v)}`),
    '',
    cohortTable(s.arms.recorded.cohort, s.arms.unrecorded.cohort),
  ].join('\n');
}
