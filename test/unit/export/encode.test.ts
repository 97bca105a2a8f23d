import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDeidentifier } from '../../../src/export/deidentify.ts';
import { createEncoder, rawRow } from '../../../src/export/encode.ts';
import { FORMATS, FORMATTERS } from '../../../src/export/format.ts';
import { toExportRow, type ExportScope, type SourceRow } from '../../../src/export/timeline.ts';

// The export writes its lines with createEncoder, straight from the query's text. The
// de-identification and formatting tests (timeline.test.ts, csv.test.ts) hold the reference,
// toExportRow + FORMATTERS, to the contract; this holds the encoder to the reference's bytes,
// for any source row, hostile ones included.

const EVENTS = [
  'enrolled', 'alert_opened', 'alert_updated', 'alert_acknowledged', 'alert_assigned', 'alert_escalated', 'alert_resolved', 'alert_outcome',
  'risk_changed', 'episode', 'battery_status', 'connectivity_lost', 'connectivity_restored', 'reading',
  'alert_snoozed', 'alert_commented', 'toString', '__proto__', 'other',
];
const T0 = Date.UTC(2024, 0, 1);
const DAY = 86_400_000;

const text = fc.oneof(
  fc.constantFrom(
    'high', 'medium', 'icd', 'crt_d', 'female', 'male', 'Low', 'High', 'actioned', 'duplicate', 'clinician', 'admin',
    'hf_decompensation', 'connectivity_loss', 'east', 'we,st', '=cmd', '-1', '"quoted"', 'toString', '__proto__', null,
    'artefact', 'confirmed_treated',
  ),
  fc.string({ unit: 'grapheme' }),
  fc.constant(null),
);
const number = fc.oneof(
  fc.constant(null),
  fc.integer({ min: -5, max: 120 }),
  fc.double({ noNaN: false }),
  fc.constantFrom(0.5, 73.9, 1e21, -0, Number.NaN, Infinity, -Infinity),
);
const time = fc.oneof(
  fc.integer({ min: T0 - 400 * DAY, max: T0 + 3 * 365 * DAY }),
  fc.double({ min: T0 - 1000 * DAY, max: T0 + 1000 * DAY, noNaN: true }),
  // Before 1970, around year 0 and 10000, and beyond what a Date holds.
  fc.integer({ min: -62_200_000_000_000, max: -62_100_000_000_000 }),
  fc.integer({ min: 253_402_000_000_000, max: 253_403_000_000_000 }),
  fc.double({ min: -9e15, max: 9e15, noNaN: true }),
  fc.constantFrom(0, -1, -0.5, 8.64e15, Number.NaN),
);
const row = fc.record({
  patient_id: fc.integer({ min: 1, max: 6 }),
  t: time,
  event: fc.constantFrom(...EVENTS),
  s1: text, s2: text, s3: text, s4: text, s5: text,
  n1: number,
  n2: fc.oneof(number, fc.integer({ min: 1, max: 30 }), fc.constantFrom(1, 2, 3, 4, 23, 25, 26, 28, 29)),
  ref: fc.oneof(fc.constant(null), fc.integer({ min: 1, max: 2 ** 40 })),
}) satisfies fc.Arbitrary<SourceRow>;
const window = fc.oneof(fc.constant(null), fc.integer({ min: T0 - 200 * DAY, max: T0 + 3 * 365 * DAY }));
const scope = fc.record({ from: window, to: window, sites: fc.constantFrom(new Set(['east']), new Set(['east', 'we,st', '=cmd'])) }) satisfies fc.Arbitrary<ExportScope>;

const KEY = 'an export key of at least 32 characters';

/** Each row's line, or null, or the error it raised. */
function outcome(f: () => string | null): string | null | { error: string } {
  try {
    return f();
  } catch (e) {
    return { error: (e as Error).name };
  }
}

describe('the export encoder', () => {
  it('writes the same bytes as toExportRow and the formatter, row for row, in both formats', () => {
    fc.assert(
      fc.property(
        // Grouped by subject, as the query returns them.
        fc.array(row, { maxLength: 60 }).map((rows) => [...rows].sort((a, b) => a.patient_id - b.patient_id)),
        scope,
        fc.constantFrom(...FORMATS),
        (rows, sc, format) => {
          const deid = createDeidentifier(KEY);
          const encode = createEncoder(format, createDeidentifier(KEY), sc);
          for (const r of rows) {
            const expected = outcome(() => {
              const out = toExportRow(r, deid, sc);
              return out === null ? null : FORMATTERS[format].line(out);
            });
            expect(outcome(() => encode(rawRow(r)))).toEqual(expected);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('writes times as toISOString does, across days, before 1970 and with fractions of a millisecond', () => {
    const deid = createDeidentifier(KEY);
    const shift = deid.subject(1).shiftMs;
    const all = { from: null, to: null, sites: new Set(['east']) };
    for (const format of FORMATS) {
      const encode = createEncoder(format, createDeidentifier(KEY), all);
      for (const t of [T0, T0 + 1, T0 + DAY - 1, T0 + 59_999.999, -1, -DAY - 0.25, 0, 951_782_400_000, Date.UTC(2028, 1, 29, 23, 59, 59, 999)]) {
        const r: SourceRow = { patient_id: 1, t: t - shift, event: 'episode', s1: null, s2: null, s3: null, s4: null, n1: 1, n2: 25, ref: null };
        expect(encode(rawRow(r))).toBe(FORMATTERS[format].line(toExportRow(r, deid, all)!));
      }
      // Calendar dates from year 0 to 9999: leap years, centuries, month ends.
      for (let day = -719_528; day < 2_932_897; day += 367) {
        const r: SourceRow = { patient_id: 1, t: day * DAY + 45_296_789 - shift, event: 'episode', s1: null, s2: null, s3: null, s4: null, n1: 1, n2: 25, ref: null };
        const line = encode(rawRow(r));
        if (line !== FORMATTERS[format].line(toExportRow(r, deid, all)!)) expect(line).toBe(FORMATTERS[format].line(toExportRow(r, deid, all)!));
      }
    }
  });
});
