import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CSV_HEADER, csvCell, csvLine } from '../../../src/export/csv.ts';
import { COLUMN_NAMES, type ExportRow } from '../../../src/export/columns.ts';
import { parseCsv } from './rfc4180.ts';

const anyRow = fc.record(
  Object.fromEntries(COLUMN_NAMES.map((c) => [c, fc.oneof(fc.string({ unit: 'binary' }), fc.constant(null), fc.double({ noNaN: true, noDefaultInfinity: true }))])),
) as fc.Arbitrary<ExportRow>;

describe('CSV', () => {
  it('has a header row naming every column', () => {
    expect(parseCsv(CSV_HEADER)).toEqual([[...COLUMN_NAMES]]);
  });

  it('parses back to the same cells, whatever they hold (quotes, commas, newlines, unicode)', () => {
    fc.assert(
      fc.property(fc.array(anyRow, { maxLength: 20 }), (rows) => {
        const parsed = parseCsv(CSV_HEADER + rows.map(csvLine).join(''));
        expect(parsed.length).toBe(rows.length + 1);
        rows.forEach((row, r) => {
          COLUMN_NAMES.forEach((c, i) => {
            const v = row[c];
            const cell = parsed[r + 1]![i]!;
            if (v === null) expect(cell).toBe('');
            else if (typeof v === 'number') expect(Number(cell)).toBe(v === 0 ? 0 : v);
            else expect(cell).toBe(/^[=+\-@\t\r]/.test(v) ? `'${v}` : v);
          });
        });
      }),
    );
  });

  it('neutralises every text cell a spreadsheet would run as a formula', () => {
    fc.assert(
      fc.property(fc.constantFrom('=', '+', '-', '@', '\t', '\r'), fc.string(), (lead, rest) => {
        const cell = parseCsv(csvCell(lead + rest) + '\r\n')[0]![0]!;
        expect(cell.startsWith("'")).toBe(true);
        expect(cell.slice(1)).toBe(lead + rest);
      }),
    );
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('plain')).toBe('plain');
  });

  it('writes numbers as numbers: a negative value is data, not a formula', () => {
    expect(csvCell(-3.5)).toBe('-3.5');
    expect(csvCell(0.25)).toBe('0.25');
    expect(csvCell(null)).toBe('');
  });
});
