// CSV of RFC 4180: a header row, CRLF line ends, quotes only where needed, and text
// cells a spreadsheet would run as a formula neutralised with a leading apostrophe.
import { COLUMN_NAMES, type ExportRow } from './columns.ts';

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One cell. Numbers are written as numbers (a negative number is data, not a formula). */
export function csvCell(v: string | number | null): string {
  if (v === null) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  const text = FORMULA_START.test(v) ? `'${v}` : v;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export const CSV_HEADER = COLUMN_NAMES.map(csvCell).join(',') + '\r\n';

export function csvLine(row: ExportRow): string {
  let line = '';
  for (let i = 0; i < COLUMN_NAMES.length; i++) {
    if (i > 0) line += ',';
    line += csvCell(row[COLUMN_NAMES[i]!]);
  }
  return line + '\r\n';
}
