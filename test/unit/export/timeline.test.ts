import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COLUMN_NAMES } from '../../../src/export/columns.ts';
import { createDeidentifier } from '../../../src/export/deidentify.ts';
import { FORMATTERS } from '../../../src/export/format.ts';
import { toExportRow, type SourceRow } from '../../../src/export/timeline.ts';
import { parseCsv } from './rfc4180.ts';

// What the source holds about a patient that must never reach a file.
const identity = fc.record({
  // Above every count and value the rows carry (n1 ≤ 100, n2 ≤ 30), so a column equal to it
  // can only be the id itself.
  patientId: fc.integer({ min: 1_000, max: 1_000_000 }),
  family: fc.stringMatching(/^[A-Z][a-z]{5,12}$/),
  given: fc.stringMatching(/^[A-Z][a-z]{5,12}$/),
  nhs: fc.stringMatching(/^[0-9]{10}$/),
  dob: fc.date({ min: new Date('1920-01-01'), max: new Date('1999-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
  serial: fc.stringMatching(/^(MDT|BSX|ABT|BIO)-[A-Z]{3}[0-9]{6}[A-Z]$/),
  gateway: fc.stringMatching(/^bedside-[0-9]{4}-[a-z]{6}$/),
  comment: fc.stringMatching(/^Comment [A-Za-z ]{8,40}$/),
});
type Identity = typeof identity extends fc.Arbitrary<infer T> ? T : never;

const EVENTS = [
  'enrolled', 'alert_opened', 'alert_updated', 'alert_acknowledged', 'alert_assigned', 'alert_escalated', 'alert_resolved',
  'risk_changed', 'episode', 'battery_status', 'connectivity_lost', 'connectivity_restored', 'reading',
];
const T0 = Date.UTC(2024, 0, 1);

/**
 * Source rows of every event type whose text fields are either plausible values or, as a
 * hostile database could hold, the patient's own identifiers and comments.
 */
function sourceRows(p: Identity) {
  const leak = [p.family, p.given, `${p.given} ${p.family}`, p.nhs, p.dob, p.serial, p.gateway, p.comment];
  const text = fc.oneof(fc.constantFrom(...leak), fc.constantFrom('high', 'icd', 'female', 'Low', 'actioned', 'clinician', 'hf_decompensation', 'east', null));
  const row = fc.record({
    patient_id: fc.constant(p.patientId),
    t: fc.integer({ min: T0, max: T0 + 3 * 365 * 86_400_000 }),
    event: fc.constantFrom(...EVENTS),
    s1: text, s2: text, s3: text, s4: text,
    n1: fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 100 }), fc.double({ min: 0, max: 1, noNaN: true })),
    n2: fc.oneof(fc.constant(null), fc.integer({ min: 1, max: 30 })),
    ref: fc.oneof(fc.constant(null), fc.integer({ min: 1, max: 1e9 })),
  }) satisfies fc.Arbitrary<SourceRow>;
  return fc.array(row, { minLength: 1, maxLength: 40 }).map((rows) => ({ rows, leak }));
}

const KEY = 'an export key of at least 32 characters';
const ALL = { from: null, to: null, sites: new Set(['east']) };

describe('de-identified rows', () => {
  it('never carry a name, NHS number, date of birth, serial, gateway or free text of the source', () => {
    fc.assert(
      fc.property(identity.chain(sourceRows), ({ rows, leak }) => {
        const deid = createDeidentifier(KEY);
        const out = rows.map((r) => toExportRow(r, deid, ALL)).filter((r) => r !== null);
        const files = [out.map(FORMATTERS.ndjson.line).join(''), FORMATTERS.csv.header + out.map(FORMATTERS.csv.line).join('')];
        for (const file of files) for (const value of leak) expect(file).not.toContain(value);
        // Nor the internal id in a column of its own.
        for (const r of out) expect(Object.values(r)).not.toContain(rows[0]!.patient_id);
      }),
      { numRuns: 300 },
    );
  });

  it('keep every interval between a subject’s events exactly, and only the date moves', () => {
    fc.assert(
      fc.property(identity.chain(sourceRows), fc.string({ minLength: 32, maxLength: 40 }), ({ rows }, key) => {
        const deid = createDeidentifier(key);
        const out = rows.map((r) => toExportRow(r, deid, ALL)!);
        const shift = Date.parse(out[0]!.at as string) - rows[0]!.t;
        expect(Math.abs(shift % 86_400_000)).toBe(0);
        out.forEach((r, i) => {
          expect(Date.parse(r.at as string) - rows[i]!.t).toBe(shift);
          for (let j = 0; j < i; j++) expect(Date.parse(r.at as string) - Date.parse(out[j]!.at as string)).toBe(rows[i]!.t - rows[j]!.t);
        });
      }),
    );
  });

  it('give the same subject and shift in every export under one key', () => {
    fc.assert(
      fc.property(identity.chain(sourceRows), ({ rows }) => {
        const a = rows.map((r) => toExportRow(r, createDeidentifier(KEY), ALL)!);
        const b = rows.map((r) => toExportRow(r, createDeidentifier(KEY), ALL)!);
        expect(b).toEqual(a);
      }),
    );
  });

  it('select by the shifted time, except the enrolled row that describes the subject', () => {
    const deid = createDeidentifier(KEY);
    const shift = deid.subject(7).shiftMs;
    const base = { patient_id: 7, s1: null, s2: null, s3: null, s4: null, n1: 1, n2: 25, ref: null };
    const at = (t: number, event: string) => toExportRow({ ...base, t: t - shift, event }, deid, { from: T0, to: T0 + 1000, sites: ALL.sites });
    expect(at(T0, 'episode')?.at).toBe(new Date(T0).toISOString());
    expect(at(T0 + 999, 'episode')).not.toBeNull();
    expect(at(T0 + 1000, 'episode')).toBeNull();
    expect(at(T0 - 1, 'episode')).toBeNull();
    expect(at(T0 - 10 ** 10, 'enrolled')?.event).toBe('enrolled');
  });

  it('fill the columns of each event type from closed vocabularies', () => {
    const deid = createDeidentifier(KEY);
    const row = (event: string, s: Partial<SourceRow>) =>
      toExportRow({ patient_id: 1, t: T0, event, s1: null, s2: null, s3: null, s4: null, n1: null, n2: null, ref: null, ...s }, deid, ALL)!;
    expect(row('enrolled', { s1: 'crt_d', s2: 'east', s3: 'female', n1: 73 })).toMatchObject({ device_type: 'crt_d', site: 'east', sex: 'female', age_band: '70-74' });
    expect(row('alert_resolved', { s1: 'hf_decompensation', s2: 'high', s3: 'actioned', s4: 'clinician', ref: 9 })).toMatchObject({
      kind: 'hf_decompensation', priority: 'high', resolution: 'actioned', actor_role: 'clinician', alert: deid.alert(9),
    });
    expect(row('alert_resolved', { s1: 'battery', s3: 'actioned', s4: 'clinician', s5: 'artefact', ref: 9 })).toMatchObject({ resolution: 'actioned', outcome: 'artefact' });
    expect(row('alert_outcome', { s1: 'battery', s4: 'clinician', s5: 'other_cause', ref: 9 })).toMatchObject({ resolution: null, outcome: 'other_cause', actor_role: 'clinician' });
    // Only the vocabulary leaves: a comment or a name in the source does not.
    expect(row('alert_outcome', { s1: 'battery', s4: 'clinician', s5: 'Called Jane Doe', ref: 9 })).toMatchObject({ outcome: null });
    expect(row('alert_acknowledged', { s1: 'battery', s4: 'clinician', s5: 'artefact', ref: 9 })).toMatchObject({ outcome: null });
    expect(row('alert_opened', { s1: 'Jane Doe', s4: null, ref: 9 })).toMatchObject({ kind: 'other', actor_role: 'system' });
    expect(row('risk_changed', { s1: 'High', s2: 'Medium', n1: 0.82 })).toMatchObject({ status: 'High', previous: 'Medium', score: 0.82 });
    expect(row('episode', { n1: 2, n2: 29 })).toMatchObject({ metric: 'shocks_delivered', count: 2 });
    expect(row('battery_status', { n1: 3, n2: 2 })).toMatchObject({ status: 'elective_replacement', previous: 'middle_of_service' });
    expect(row('battery_status', { n1: 1 })).toMatchObject({ status: 'beginning_of_service', previous: null });
    expect(row('connectivity_restored', { ref: 4 })).toMatchObject({ kind: 'connectivity_loss', alert: deid.alert(4) });
    expect(row('reading', { n1: 67.4, n2: 5 })).toMatchObject({ metric: 'thoracic_impedance', value: 67.4 });
    expect(toExportRow({ ...row('reading', {}), patient_id: 1, t: T0, event: 'alert_snoozed' } as never, deid, ALL)).toBeNull();
  });

  it('write the same columns in both formats', () => {
    const deid = createDeidentifier(KEY);
    const r = toExportRow({ patient_id: 1, t: T0, event: 'episode', s1: null, s2: null, s3: null, s4: null, n1: 1, n2: 25, ref: null }, deid, ALL)!;
    expect(Object.keys(JSON.parse(FORMATTERS.ndjson.line(r)))).toEqual(COLUMN_NAMES);
    expect(parseCsv(FORMATTERS.csv.line(r))[0]!.length).toBe(COLUMN_NAMES.length);
  });
});
