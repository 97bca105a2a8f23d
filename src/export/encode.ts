// The export's hot path: a row of the export query, as PostgreSQL's text, straight to a
// line of the file. Same values as toExportRow + FORMATTERS (timeline.ts, format.ts), which
// stay the reference: a property test holds the two to the same bytes. What makes it fast:
// no object per row (the values go from the query's text into precomputed line templates),
// the pseudonym, date shift and cells of a subject computed once per subject, and times
// formatted from tables instead of a Date per row.
import type { RawRow, SourceRow } from '../domain/export-rows.ts';
import { metricById } from '../domain/vocabulary.ts';
import { COLUMN_NAMES, type ColumnName, type ExportEventName, type ExportRow } from './columns.ts';
import { csvCell } from './csv.ts';
import type { Deidentifier } from './deidentify.ts';
import { Clock, LineBuffer } from './line-buffer.ts';
import { FORMATTERS, type ExportFormat } from './format.ts';
import {
  ALERT_EVENTS, BATTERY_STATUS, OUTCOME_SET, PRIORITIES, RESOLUTIONS, RISK, ROLES,
  enrolledValues, kindOf, num, oneOf, type ExportScope,
} from './timeline.ts';

export type { RawRow } from '../domain/export-rows.ts';

const PATIENT = 0, T = 1, EVENT = 2, S1 = 3, S2 = 4, S3 = 5, S4 = 6, N1 = 7, N2 = 8, REF = 9, S5 = 10;

/** The text PostgreSQL would send for a SourceRow (tests, and anything holding parsed rows). */
export function rawRow(r: SourceRow): RawRow {
  const n = (v: number | null) => (v === null ? null : String(v));
  return [String(r.patient_id), String(r.t), r.event, r.s1, r.s2, r.s3, r.s4, n(r.n1), n(r.n2), n(r.ref), r.s5 ?? null];
}

/** A number column's text as node-postgres parses it (parseFloat / parseInt give the same for PostgreSQL's output). */
const parsed = (text: string | null): number | null => (text === null ? null : Number(text));

type Cell = (v: string | number | null) => string;
/** One value as the format writes it; the same functions the reference formatters use. */
const CELLS: Readonly<Record<ExportFormat, Cell>> = {
  ndjson: (v) => JSON.stringify(v),
  csv: csvCell,
};

const slot = (i: number) => `~~${i}~~`;

/**
 * The constant text around the variable cells of one event's line: the reference formatter's
 * line for a row whose variable columns hold markers, cut at the markers. Column 0 is the
 * subject, 1 the time, then `columns` in order; every other column is the event's constant.
 */
function template(format: ExportFormat, event: ExportEventName, columns: readonly ColumnName[], fixed: Partial<Record<ColumnName, string>> = {}): string[] {
  const row: Record<string, string | number | null> = {};
  for (const c of COLUMN_NAMES) row[c] = null;
  Object.assign(row, fixed, { subject: slot(0), at: slot(1), event });
  columns.forEach((c, i) => (row[c] = slot(i + 2)));
  const line = FORMATTERS[format].line(row as ExportRow);
  // A marker is plain text in both formats: quoted by JSON, left alone by CSV.
  const marker = format === 'ndjson' ? /"~~(\d+)~~"/g : /~~(\d+)~~/g;
  const parts: string[] = [];
  let at = 0;
  let n = 0;
  for (const m of line.matchAll(marker)) {
    if (Number(m[1]) !== n++) throw new Error(`export template of ${event}: columns out of order`);
    parts.push(line.slice(at, m.index));
    at = m.index + m[0].length;
  }
  if (n !== columns.length + 2) throw new Error(`export template of ${event}: ${n} cells for ${columns.length + 2}`);
  parts.push(line.slice(at));
  return parts;
}

export { LineBuffer };

/** Writes one raw row's line into `out`; false (nothing written) when toExportRow gives null. */
export type LineWriter = (row: RawRow, out: LineBuffer) => boolean;

/**
 * The line writer of one export: rows must come grouped by subject, as the query returns
 * them. Same bytes as `FORMATTERS[format].line(toExportRow(...))`, null rows skipped.
 */
export function createLineWriter(format: ExportFormat, deid: Deidentifier, scope: ExportScope): LineWriter {
  const text = CELLS[format];
  const cell = (v: string | number | null) => Buffer.from(text(v));
  const nullCell = cell(null);
  const clock = new Clock(cell, format === 'ndjson' ? '"' : '');
  const { from, to, sites } = scope;
  const cells = scope.cells ?? null;

  const tpl = (event: ExportEventName, columns: readonly ColumnName[], fixed?: Partial<Record<ColumnName, string>>) =>
    template(format, event, columns, fixed).map((part) => Buffer.from(part));
  const alertTpl = new Map<string, Buffer[]>();
  for (const e of ALERT_EVENTS) alertTpl.set(e, tpl(e as ExportEventName, ['alert', 'kind', 'priority', 'resolution', 'actor_role', 'outcome']));
  const enrolledTpl = tpl('enrolled', ['device_type', 'site', 'sex', 'age_band']);
  const riskTpl = tpl('risk_changed', ['status', 'previous', 'score']);
  const episodeTpl = tpl('episode', ['metric', 'count']);
  const batteryTpl = tpl('battery_status', ['status', 'previous']);
  const lostTpl = tpl('connectivity_lost', ['alert'], { kind: 'connectivity_loss' });
  const restoredTpl = tpl('connectivity_restored', ['alert'], { kind: 'connectivity_loss' });
  const readingTpl = tpl('reading', ['metric', 'value']);

  /** Cells of a small closed set of values (vocabularies, metric names), by their source text. */
  const memo = (f: (text: string | null) => string | number | null, before?: Buffer, after?: Buffer) => {
    const known = new Map<string | null, Buffer>();
    return (text: string | null): Buffer => {
      let c = known.get(text);
      if (c === undefined) {
        c = before && after ? Buffer.concat([before, cell(f(text)), after]) : cell(f(text));
        // Only a bounded set is remembered: free text in a hostile source cannot grow it.
        if (known.size < 256) known.set(text, c);
      }
      return c;
    };
  };
  const putNumber = (raw: string | null, out: LineBuffer): void => {
    const v = num(parsed(raw));
    if (v === null) out.put(nullCell);
    else out.putNumber(v);
  };
  const metricName = (raw: string | null) => {
    const id = parsed(raw);
    return (id === null ? undefined : metricById(id)?.name) ?? null;
  };
  // The hot rows (episodes, readings): the text around the metric cell joined to it once.
  const episodeMetric = memo(metricName, episodeTpl[2], episodeTpl[3]);
  const readingMetric = memo(metricName, readingTpl[2], readingTpl[3]);
  const batteryCell = memo((raw) => {
    const v = parsed(raw);
    return v === null ? null : (BATTERY_STATUS[v] ?? null);
  });
  const kindCell = memo(kindOf);
  const priorityCell = memo((v) => oneOf(PRIORITIES, v));
  const resolutionCell = memo((v) => oneOf(RESOLUTIONS, v));
  const roleCell = memo((v) => (v === null ? 'system' : (oneOf(ROLES, v) ?? 'other')));
  const outcomeCell = memo((v) => oneOf(OUTCOME_SET, v));
  const qiCell = memo((v) => v);
  const riskCell = memo((v) => oneOf(RISK, v));

  let patient: string | null = null;
  let subjectCell = nullCell;
  // The start of the subject's episode and reading lines, up to the time.
  let episodeHead: Buffer | null = null;
  let readingHead: Buffer | null = null;
  const head = (c: readonly Buffer[]) => Buffer.concat([c[0]!, subjectCell, c[1]!]);
  let shiftMs = 0;
  let grainMs = 1;
  let patientId = 0;
  // Alert pseudonyms of the current subject (an alert belongs to one device, so to one subject).
  const alerts = new Map<string, Buffer>();
  const alertCell = (raw: string | null): Buffer => {
    if (raw === null) return nullCell;
    let c = alerts.get(raw);
    if (c === undefined) {
      c = cell(deid.alert(Number(raw)));
      alerts.set(raw, c);
    }
    return c;
  };

  return (r, out) => {
    const p = r[PATIENT];
    if (p !== patient) {
      patient = p;
      const subject = deid.subject(Number(p));
      subjectCell = cell(subject.id);
      shiftMs = subject.shiftMs;
      grainMs = subject.grainMs;
      patientId = Number(p);
      episodeHead = readingHead = null;
      alerts.clear();
    }
    // shiftTime (deidentify.ts), inline: the time cut to the subject's grain, then shifted.
    const t = grainMs === 1 ? Number(r[T]) + shiftMs : Math.floor(Number(r[T]) / grainMs) * grainMs + shiftMs;
    const event = r[EVENT];
    if (event !== 'enrolled' && ((from !== null && t < from) || (to !== null && t >= to))) return false;
    let c: Buffer[];
    switch (event) {
      case 'episode':
        out.put(episodeHead ??= head(episodeTpl)); clock.write(t, out);
        out.put(episodeMetric(r[N2])); putNumber(r[N1], out); out.put(episodeTpl[4]!);
        return true;
      case 'reading':
        out.put(readingHead ??= head(readingTpl)); clock.write(t, out);
        out.put(readingMetric(r[N2])); putNumber(r[N1], out); out.put(readingTpl[4]!);
        return true;
      case 'battery_status':
        c = batteryTpl;
        out.put(c[0]!); out.put(subjectCell); out.put(c[1]!); clock.write(t, out);
        out.put(c[2]!); out.put(batteryCell(r[N1])); out.put(c[3]!); out.put(batteryCell(r[N2])); out.put(c[4]!);
        return true;
      case 'risk_changed':
        c = riskTpl;
        out.put(c[0]!); out.put(subjectCell); out.put(c[1]!); clock.write(t, out);
        out.put(c[2]!); out.put(riskCell(r[S1])); out.put(c[3]!); out.put(riskCell(r[S2])); out.put(c[4]!); putNumber(r[N1], out); out.put(c[5]!);
        return true;
      case 'enrolled': {
        c = enrolledTpl;
        out.put(c[0]!); out.put(subjectCell); out.put(c[1]!); clock.write(t, out);
        const v = enrolledValues(r[S1], r[S2], r[S3], parsed(r[N1]), sites);
        const q = cells ? cells.apply(patientId, v) : v;
        out.put(c[2]!); out.put(qiCell(q.device_type)); out.put(c[3]!); out.put(qiCell(q.site)); out.put(c[4]!); out.put(qiCell(q.sex));
        out.put(c[5]!); out.put(qiCell(q.age_band)); out.put(c[6]!);
        return true;
      }
      case 'connectivity_lost':
      case 'connectivity_restored':
        c = event === 'connectivity_lost' ? lostTpl : restoredTpl;
        out.put(c[0]!); out.put(subjectCell); out.put(c[1]!); clock.write(t, out);
        out.put(c[2]!); out.put(alertCell(r[REF])); out.put(c[3]!);
        return true;
      default: {
        const a = event === null ? undefined : alertTpl.get(event);
        if (a === undefined) {
          new Date(t).toISOString(); // the reference formats the time first, and fails on one Date cannot hold
          return false;
        }
        out.put(a[0]!); out.put(subjectCell); out.put(a[1]!); clock.write(t, out);
        out.put(a[2]!); out.put(alertCell(r[REF])); out.put(a[3]!); out.put(kindCell(r[S1])); out.put(a[4]!); out.put(priorityCell(r[S2]));
        out.put(a[5]!); out.put(event === 'alert_resolved' ? resolutionCell(r[S3]) : nullCell); out.put(a[6]!); out.put(roleCell(r[S4]));
        out.put(a[7]!); out.put(event === 'alert_resolved' || event === 'alert_outcome' ? outcomeCell(r[S5] ?? null) : nullCell); out.put(a[8]!);
        return true;
      }
    }
  };
}

/** One row's line as a string, or null: the line writer, a row at a time (tests, small uses). */
export function createEncoder(format: ExportFormat, deid: Deidentifier, scope: ExportScope): (row: RawRow) => string | null {
  const write = createLineWriter(format, deid, scope);
  const out = new LineBuffer(256);
  return (row) => {
    out.take();
    return write(row, out) ? out.take().toString('utf8') : null;
  };
}
