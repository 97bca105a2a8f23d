// The admin command line's tables: a header, a rule, one line per row, columns aligned and
// no index column; a sentence instead when there are no rows. Pure: returns the text.

/** Text of one cell: empty for null, ISO 8601 for a date, a list space-separated, JSON otherwise. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => cellText(v)).join(' ');
  if (typeof value === 'object') return JSON.stringify(value);
  // Tabs and line ends would break the alignment of every row after them.
  return String(value as string | number | boolean | bigint).replace(/[\t\r\n]+/g, ' ');
}

/**
 * `rows` as an aligned table; `empty` (e.g. "(no sites)") when there are none. The columns
 * are the keys of the rows in the order first met; numbers are right-aligned.
 */
export function formatTable(rows: readonly Record<string, unknown>[], empty: string): string {
  if (rows.length === 0) return empty;
  const columns: string[] = [];
  for (const row of rows) for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
  const cells = rows.map((row) => columns.map((c) => cellText(row[c])));
  const numeric = columns.map((c) => rows.every((row) => row[c] === null || row[c] === undefined || typeof row[c] === 'number'));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((line) => line[i]!.length)));
  const line = (values: readonly string[], alignNumbers: boolean) =>
    values.map((v, i) => (alignNumbers && numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(columns, false), line(widths.map((w) => '-'.repeat(w)), false), ...cells.map((c) => line(c, true))].join('\n');
}
