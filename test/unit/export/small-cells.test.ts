import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDeidentifier, DAY_MS, MAX_SHIFT_DAYS, shiftTime } from '../../../src/export/deidentify.ts';
import { createEncoder, rawRow } from '../../../src/export/encode.ts';
import { FORMATS, FORMATTERS } from '../../../src/export/format.ts';
import {
  generalise, planSmallCells, SUPPRESSED, widenAgeBand, type QuasiIdentifiers, type SubjectValues,
} from '../../../src/export/small-cells.ts';
import { toExportRow, type SourceRow } from '../../../src/export/timeline.ts';

// Small-cell protection of the enrolled row's quasi-identifiers, and the sub-day (seconds)
// date shift, as pure functions; test/integration/export-deid.test.ts runs both end to end.

const KEY = 'an export key of at least 32 characters';
const BANDS = ['0-4', '20-24', '45-49', '55-59', '60-64', '65-69', '70-74', '75-79', '80-84', '85-89', '90+', null];

const qi = fc.record({
  device_type: fc.constantFrom('icd', 'pacemaker', 'crt_d', 'crt_p', 'loop_recorder', 'unknown'),
  site: fc.constantFrom('east', 'west', 'north'),
  sex: fc.constantFrom('female', 'male', 'other', 'unknown'),
  age_band: fc.constantFrom(...BANDS),
}) satisfies fc.Arbitrary<QuasiIdentifiers>;

const cohort = fc
  .array(fc.array(qi, { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 80 })
  .map((subjects) => subjects.map((rows, i): SubjectValues => ({ patientId: i + 1, order: (i * 7919) % 101, rows })));

const tupleOf = (q: QuasiIdentifiers) => JSON.stringify([q.site, q.device_type, q.sex, q.age_band]);

/** Distinct subjects per exported combination, over every enrolled row. */
function cellSizes(subjects: readonly SubjectValues[], apply: (id: number, q: QuasiIdentifiers) => QuasiIdentifiers) {
  const cells = new Map<string, Set<number>>();
  for (const s of subjects) {
    for (const q of s.rows) {
      const key = tupleOf(apply(s.patientId, q));
      cells.set(key, (cells.get(key) ?? new Set()).add(s.patientId));
    }
  }
  return cells;
}

describe('small cells', () => {
  it('leave no combination of site, device type, sex and age band with fewer than k subjects', () => {
    fc.assert(
      fc.property(cohort, fc.integer({ min: 2, max: 8 }), (subjects, k) => {
        const plan = planSmallCells(subjects, k);
        const cells = cellSizes(subjects, (id, q) => plan.apply(id, q));
        for (const [key, ids] of cells) {
          // Fewer than k subjects in all: only the fully withheld combination is possible.
          if (subjects.length < k) expect(key).toBe(tupleOf({ device_type: SUPPRESSED, site: SUPPRESSED, sex: SUPPRESSED, age_band: SUPPRESSED }));
          else expect(ids.size, key).toBeGreaterThanOrEqual(k);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('only generalise along the ladder, and count every value they change', () => {
    fc.assert(
      fc.property(cohort, fc.integer({ min: 2, max: 8 }), (subjects, k) => {
        const plan = planSmallCells(subjects, k);
        const expected = { device_type: 0, site: 0, sex: 0, age_band: 0, widened: 0 };
        const changed = new Set<number>();
        for (const s of subjects) {
          for (const q of s.rows) {
            const out = plan.apply(s.patientId, q);
            // Each value is the source's, a wider age band holding it, or withheld.
            expect([q.device_type, SUPPRESSED]).toContain(out.device_type);
            expect([q.site, SUPPRESSED]).toContain(out.site);
            expect([q.sex, SUPPRESSED]).toContain(out.sex);
            expect([q.age_band, widenAgeBand(q.age_band, 10), widenAgeBand(q.age_band, 20), SUPPRESSED]).toContain(out.age_band);
            for (const name of ['device_type', 'site', 'sex', 'age_band'] as const) {
              if (out[name] === q[name]) continue;
              changed.add(s.patientId);
              if (out[name] === SUPPRESSED) expected[name]++;
              else expected.widened++;
            }
          }
        }
        const summary = plan.summary();
        expect(summary).toEqual({
          k, subjects: changed.size, generalised: { age_band: expected.widened },
          suppressed: { device_type: expected.device_type, site: expected.site, sex: expected.sex, age_band: expected.age_band },
        });
      }),
      { numRuns: 300 },
    );
  });

  it('ten subjects of one site, every combination distinct: shared by five after the plan, and counted', () => {
    const sexes = ['female', 'male'];
    const devices = ['icd', 'pacemaker', 'crt_d', 'crt_p', 'loop_recorder'];
    const subjects: SubjectValues[] = Array.from({ length: 10 }, (_, i) => ({
      patientId: 100 + i,
      order: i,
      rows: [{ site: 'east', device_type: devices[i % 5]!, sex: sexes[i % 2]!, age_band: BANDS[i]! }],
    }));
    expect(cellSizes(subjects, (_, q) => q).size).toBe(10);
    const plan = planSmallCells(subjects, 5);
    const cells = cellSizes(subjects, (id, q) => plan.apply(id, q));
    expect(Math.min(...[...cells.values()].map((ids) => ids.size))).toBeGreaterThanOrEqual(5);
    // Five of each sex, two of each device type: withholding device types (not sex) is
    // what keeps cells of five, so that order of the ladder is chosen.
    expect(plan.summary()).toEqual({ k: 5, subjects: 10, generalised: { age_band: 0 }, suppressed: { site: 0, device_type: 10, sex: 0, age_band: 10 } });
    expect([...cells.keys()].sort()).toEqual([tupleOf({ site: 'east', device_type: SUPPRESSED, sex: 'female', age_band: SUPPRESSED }), tupleOf({ site: 'east', device_type: SUPPRESSED, sex: 'male', age_band: SUPPRESSED })].sort());
  });

  it('withhold sex before device type when that changes fewer values', () => {
    const subjects: SubjectValues[] = Array.from({ length: 10 }, (_, i) => ({
      patientId: i + 1, order: i, rows: [{ site: 'east', device_type: i < 5 ? 'icd' : 'pacemaker', sex: ['female', 'male', 'other'][i % 3]!, age_band: '70-74' }],
    }));
    const plan = planSmallCells(subjects, 5);
    const cells = cellSizes(subjects, (id, q) => plan.apply(id, q));
    expect([...cells.keys()].sort()).toEqual([tupleOf({ site: 'east', device_type: 'icd', sex: SUPPRESSED, age_band: SUPPRESSED }), tupleOf({ site: 'east', device_type: 'pacemaker', sex: SUPPRESSED, age_band: SUPPRESSED })].sort());
    expect(plan.summary().suppressed).toEqual({ site: 0, device_type: 0, sex: 10, age_band: 10 });
  });

  it('with k = 1 write every value as it is and count nothing', () => {
    fc.assert(
      fc.property(cohort, (subjects) => {
        const plan = planSmallCells(subjects, 1);
        for (const s of subjects) for (const q of s.rows) expect(plan.apply(s.patientId, q)).toBe(q);
        expect(plan.summary()).toEqual({ k: 1, subjects: 0, generalised: { age_band: 0 }, suppressed: { device_type: 0, site: 0, sex: 0, age_band: 0 } });
      }),
      { numRuns: 50 },
    );
  });

  it('withhold every value of a subject or combination the plan did not see', () => {
    const subjects: SubjectValues[] = Array.from({ length: 6 }, (_, i) => ({
      patientId: i + 1, order: i, rows: [{ site: 'east', device_type: 'icd', sex: 'female', age_band: '60-64' }],
    }));
    const plan = planSmallCells(subjects, 5);
    expect(plan.apply(1, subjects[0]!.rows[0]!)).toEqual(subjects[0]!.rows[0]);
    const all = { device_type: SUPPRESSED, site: SUPPRESSED, sex: SUPPRESSED, age_band: SUPPRESSED };
    expect(plan.apply(1, { site: 'east', device_type: 'pacemaker', sex: 'female', age_band: '60-64' })).toEqual(all);
    expect(plan.apply(99, subjects[0]!.rows[0]!)).toEqual(all);
  });

  it('widen age bands to 10 and 20 years, then withhold; sex, device type and site after', () => {
    expect(['0-4', '55-59', '60-64', '85-89', '90+'].map((b) => widenAgeBand(b, 10))).toEqual(['0-9', '50-59', '60-69', '80-89', '90+']);
    expect(['0-4', '55-59', '60-64', '85-89', '90+'].map((b) => widenAgeBand(b, 20))).toEqual(['0-19', '40-59', '60-79', '80+', '80+']);
    const q = { site: 'east', device_type: 'icd', sex: 'male', age_band: '60-64' };
    const text = (g: QuasiIdentifiers) => [g.device_type, g.site, g.sex, g.age_band].join(' ');
    expect([0, 1, 2, 3, 4, 5, 6].map((l) => text(generalise(q, l)))).toEqual([
      'icd east male 60-64', 'icd east male 60-69', 'icd east male 60-79', 'icd east male *', 'icd east * *', '* east * *', '* * * *',
    ]);
  });
});

describe('the seconds date shift', () => {
  it('is whole seconds within ±180 days, spread over times of day, stable per key and subject', () => {
    const d = createDeidentifier('k'.repeat(32), { shift: 'seconds' });
    const again = createDeidentifier('k'.repeat(32), { shift: 'seconds' });
    const shifts = Array.from({ length: 5000 }, (_, i) => d.subject(i + 1).shiftMs);
    for (const s of shifts) {
      expect(Math.abs(s % 1000)).toBe(0);
      expect(Math.abs(s)).toBeLessThanOrEqual(MAX_SHIFT_DAYS * DAY_MS);
    }
    expect(Array.from({ length: 5000 }, (_, i) => again.subject(i + 1).shiftMs)).toEqual(shifts);
    // Times of day: 5,000 draws over 86,400 seconds, spread, not stuck at midnight.
    const tod = shifts.map((s) => (((s % DAY_MS) + DAY_MS) % DAY_MS) / 1000);
    expect(new Set(tod).size).toBeGreaterThan(4800);
    expect(tod.filter((x) => x < 43_200).length).toBeGreaterThan(2300);
    expect(tod.filter((x) => x < 43_200).length).toBeLessThan(2700);
    expect(Math.min(...shifts)).toBeLessThan(-170 * DAY_MS);
    expect(Math.max(...shifts)).toBeGreaterThan(170 * DAY_MS);
  });

  it('leaves the days mode of contract v1 as it was', () => {
    const days = createDeidentifier('k'.repeat(32));
    for (let id = 1; id < 200; id++) {
      const s = days.subject(id);
      expect(s.grainMs).toBe(1);
      expect(Math.abs(s.shiftMs % DAY_MS)).toBe(0);
      expect(shiftTime(1_767_232_800_123.5, s)).toBe(1_767_232_800_123.5 + s.shiftMs);
    }
  });

  it('moves every time of a subject by the same amount after cutting it to the second, so intervals keep', () => {
    const s = createDeidentifier(KEY, { shift: 'seconds' }).subject(7);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4e12 }), fc.integer({ min: 0, max: 4e12 }), (a, b) => {
        const [ta, tb] = [a * 1000, b * 1000]; // whole seconds, as devices stamp readings
        expect(shiftTime(tb, s) - shiftTime(ta, s)).toBe(tb - ta);
        expect(shiftTime(a + 0.25, s) - (Math.floor((a + 0.25) / 1000) * 1000)).toBe(s.shiftMs);
      }),
    );
  });

  it('and the encoder writes the same bytes as the reference, with small cells on', () => {
    const time = fc.oneof(fc.integer({ min: 1.6e12, max: 1.9e12 }), fc.double({ min: 1.6e12, max: 1.9e12, noNaN: true }), fc.integer({ min: -1e13, max: 1e13 }));
    const text = fc.constantFrom('icd', 'pacemaker', 'female', 'male', 'east', 'west', 'high', 'Low', '=cmd', null);
    const row = fc.record({
      patient_id: fc.integer({ min: 1, max: 6 }), t: time,
      event: fc.constantFrom('enrolled', 'alert_opened', 'alert_resolved', 'episode', 'reading', 'connectivity_lost', 'risk_changed'),
      s1: text, s2: text, s3: text, s4: text,
      n1: fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 100 })), n2: fc.constantFrom(null, 25, 26), ref: fc.constantFrom(null, 3, 4),
    }) satisfies fc.Arbitrary<SourceRow>;
    fc.assert(
      fc.property(fc.array(row, { maxLength: 40 }).map((r) => [...r].sort((a, b) => a.patient_id - b.patient_id)), fc.constantFrom(...FORMATS), (rows, format) => {
        const sites = new Set(['east', 'west']);
        const subjects: SubjectValues[] = [1, 2, 3, 4, 5].map((id) => ({ patientId: id, order: id, rows: [{ site: 'east', device_type: 'icd', sex: 'female', age_band: id < 3 ? '60-64' : '65-69' }] }));
        const reference = { from: null, to: null, sites, cells: planSmallCells(subjects, 2) };
        const encoded = { ...reference, cells: planSmallCells(subjects, 2) };
        const deid = createDeidentifier(KEY, { shift: 'seconds' });
        const encode = createEncoder(format, createDeidentifier(KEY, { shift: 'seconds' }), encoded);
        for (const r of rows) {
          const out = toExportRow(r, deid, reference);
          expect(encode(rawRow(r))).toBe(out === null ? null : FORMATTERS[format].line(out));
        }
        expect(encoded.cells.summary()).toEqual(reference.cells.summary());
      }),
      { numRuns: 500 },
    );
  });
});
