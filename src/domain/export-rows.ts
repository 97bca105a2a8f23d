// The rows of the timeline export's query (src/store/export.ts), shared by the store that
// reads them and the pure modules that turn them into lines. Types only.

/** One row of the export query (src/store/export.ts); the meaning of s1..ref depends on `event`. */
export interface SourceRow {
  readonly patient_id: number;
  /** True (unshifted) time of the event, ms since the epoch. */
  readonly t: number;
  readonly event: string;
  readonly s1: string | null;
  readonly s2: string | null;
  readonly s3: string | null;
  readonly s4: string | null;
  readonly n1: number | null;
  readonly n2: number | null;
  readonly ref: number | null;
  /** The outcome of alert_resolved and alert_outcome rows; absent (null) on the others. */
  readonly s5?: string | null;
}

/**
 * One row of the export query as node-postgres reads it with rowMode 'array' and no type
 * parsing: the columns of SourceRow in order, PostgreSQL's text of each, null for NULL.
 */
export type RawRow = readonly [
  patient_id: string, t: string, event: string | null,
  s1: string | null, s2: string | null, s3: string | null, s4: string | null,
  n1: string | null, n2: string | null, ref: string | null,
  s5?: string | null,
];
