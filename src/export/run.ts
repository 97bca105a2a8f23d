// One export, start to end: subjects in pseudonym order, events through the cursor,
// rows de-identified and formatted, written to a sink that may push back. The HTTP route
// and the command line both run this.
import type { Db } from '../store/db.ts';
import { exportSubjects, readEnrolments, streamTimeline, type SiteRef } from '../store/export.ts';
import { DAY_MS, MAX_SHIFT_DAYS, createDeidentifier, type ShiftMode } from './deidentify.ts';
import type { ExportRequest } from './filter.ts';
import { FORMATTERS } from './format.ts';
import { createLineWriter, LineBuffer } from './encode.ts';
import { DEFAULT_MIN_CELL, planSmallCells, type CellSummary, type QuasiIdentifiers } from './small-cells.ts';
import { enrolledValues } from './timeline.ts';

export interface ExportResult {
  readonly subjects: number;
  readonly rows: number;
  /** What small-cell protection changed in the `enrolled` rows. */
  readonly cells: CellSummary;
}

/** Counted as rows are written; `cells` once the export has ended. */
export interface ExportTally {
  rows: number;
  subjects: number;
  cells?: CellSummary;
}

export interface RunOptions {
  readonly db: Db;
  readonly key: string;
  readonly request: ExportRequest;
  /** Sites whose patients are exported (already checked against the caller). */
  readonly sites: readonly SiteRef[];
  /** Resolves when the sink can take more (backpressure). */
  readonly write: (chunk: string | Buffer) => Promise<void> | void;
  readonly signal?: AbortSignal;
  /** Called with the subjects known, once they are, and after each chunk of them. */
  readonly progress?: (p: { subjectsDone: number; subjectsTotal: number; rows: number }) => void;
  /** Counted as rows are written, so a cancelled export still reports how far it got. */
  readonly tally?: ExportTally;
  /**
   * k of the small-cell protection: every combination of site, device type, sex and age
   * band in the file is shared by at least this many subjects (DEFAULT_MIN_CELL); 1 = off.
   */
  readonly minCell?: number;
  /** Date shift: `days` (contract v1, default) or `seconds` (deidentify.ts). */
  readonly shift?: ShiftMode;
  readonly chunkSubjects?: number;
  readonly fetchRows?: number;
}

const SHIFT_MARGIN_MS = MAX_SHIFT_DAYS * DAY_MS;
const WRITE_BYTES = 64 * 1024;

export async function runExport(o: RunOptions): Promise<ExportResult> {
  const deid = createDeidentifier(o.key, { shift: o.shift ?? 'days' });
  const format = FORMATTERS[o.request.format];
  const ids = o.sites.length === 0 ? [] : await exportSubjects(o.db, o.sites.map((s) => s.id));
  const sites = new Set(o.sites.map((s) => s.code));
  const ordered = ids.map((id) => ({ id, order: deid.subject(id).order })).sort((a, b) => a.order - b.order || a.id - b.id);
  const { from, to } = o.request;
  const tally: ExportTally = o.tally ?? { rows: 0, subjects: 0 };
  // Small cells are decided over every subject of the file before any row is written:
  // `enrolled` rows are in every export, whatever its window or kinds.
  const k = Math.max(1, Math.floor(o.minCell ?? DEFAULT_MIN_CELL));
  let cells = planSmallCells([], k);
  if (k > 1 && ordered.length > 0) {
    const bySubject = new Map<number, { patientId: number; order: number; rows: QuasiIdentifiers[] }>();
    for (const { id, order } of ordered) bySubject.set(id, { patientId: id, order, rows: [] });
    for (const e of await readEnrolments(o.db, ordered.map((s) => s.id))) {
      bySubject.get(e.patient_id)?.rows.push(enrolledValues(e.device_type, e.site, e.sex, e.age, sites));
    }
    cells = planSmallCells([...bySubject.values()], k);
  }
  const writeLine = createLineWriter(o.request.format, deid, { from, to, sites, cells });
  const out = new LineBuffer(WRITE_BYTES + (WRITE_BYTES >> 2));
  let lastPatient: string | null = null;
  o.progress?.({ subjectsDone: 0, subjectsTotal: ordered.length, rows: tally.rows });
  await o.write(format.header);
  try {
    await streamTimeline(
      o.db,
      {
        patientIds: ordered.map((s) => s.id),
        // The window is on the shifted clock: read every true time a shift could move into it.
        lo: from === null ? null : from - SHIFT_MARGIN_MS,
        // A second more above: in seconds mode a time is cut to its second before the shift.
        hi: to === null ? null : to + SHIFT_MARGIN_MS + 1000,
        kinds: o.request.kinds,
        includeReadings: o.request.includeReadings,
        includeOutcomes: o.request.includeOutcomes,
      },
      {
        // Readings multiply a subject's rows by about thirty: smaller chunks keep each statement short.
        chunkSubjects: o.chunkSubjects ?? (o.request.includeReadings ? 25 : 250),
        // Two fetches are alive at once (one written, the next read): smaller ones keep
        // the garbage collector's heap small.
        fetchRows: o.fetchRows ?? 5_000,
        signal: o.signal,
      },
      async (batch) => {
        // Lines go into a buffer, written out in pieces of about WRITE_BYTES: few writes,
        // no string per row, and no batch-sized buffers for the allocator to keep.
        for (const source of batch) {
          if (!writeLine(source, out)) continue;
          if (source[0] !== lastPatient) {
            lastPatient = source[0];
            tally.subjects++;
          }
          tally.rows++;
          if (out.length >= WRITE_BYTES) {
            await o.write(out.take());
            // Let the connection read the next fetch meanwhile: the database keeps producing
            // instead of waiting on a full socket until this batch is done.
            await new Promise(setImmediate);
          }
        }
        if (out.length > 0) await o.write(out.take());
      },
      (done) => o.progress?.({ subjectsDone: done, subjectsTotal: ordered.length, rows: tally.rows }),
    );
  } finally {
    // A cancelled export still reports what it changed in the rows it sent.
    tally.cells = cells.summary();
  }
  return { subjects: tally.subjects, rows: tally.rows, cells: tally.cells };
}
