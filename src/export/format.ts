// The two file formats of the export, as line writers over ExportRow.
import { CSV_HEADER, csvLine } from './csv.ts';
import type { ExportRow } from './columns.ts';

export const FORMATS = ['ndjson', 'csv'] as const;
export type ExportFormat = (typeof FORMATS)[number];

export interface Formatter {
  readonly contentType: string;
  readonly extension: string;
  /** What the file starts with (the CSV header; nothing for NDJSON). */
  readonly header: string;
  line(row: ExportRow): string;
}

export const FORMATTERS: Readonly<Record<ExportFormat, Formatter>> = {
  // Every key on every line, null where the event does not fill it: one schema for readers.
  ndjson: { contentType: 'application/x-ndjson; charset=utf-8', extension: 'ndjson', header: '', line: (row) => JSON.stringify(row) + '\n' },
  csv: { contentType: 'text/csv; charset=utf-8; header=present', extension: 'csv', header: CSV_HEADER, line: csvLine },
};
