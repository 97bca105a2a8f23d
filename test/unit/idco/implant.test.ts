import { describe, expect, it } from 'vitest';
import { readIdco, type IdcoMessage } from '../../../src/ingest/idco/mapping.ts';
import { implantTime } from '../../../src/ingest/idco/implant.ts';
import { oru } from './fixtures.ts';

function mapped(input: string): IdcoMessage {
  const r = readIdco(input);
  if (!r.ok) throw new Error(`expected readings, got ${r.error.code}: ${r.error.message}`);
  return r.message;
}

const SESSION = 'OBX|90|DTM|721025^MDC_IDC_SESS_DTM^MDC|1|20260301120000';
const implant = (v: string, code = '720901^MDC_IDC_DEV_IMPLANT_DT^MDC', type = 'DTM') => `OBX|5|${type}|${code}||${v}||||||F`;
const lead = (setId: number, sub: string, v: string) => `OBX|${setId}|DTM|720964^MDC_IDC_LEAD_IMPLANT_DT^MDC|${sub}|${v}||||||F`;
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('implant date', () => {
  it('reads a date alone as that day at 00:00 UTC, and keeps it as a setting too', () => {
    const m = mapped(oru([SESSION, implant('20240115', undefined, 'DT')]));
    expect(iso(m.implant?.at)).toBe('2024-01-15T00:00:00.000Z');
    expect(m.implant).toMatchObject({ dateOnly: true, leadDates: [], obx: { setId: '5', code: '720901^MDC_IDC_DEV_IMPLANT_DT^MDC' } });
    expect(m.clinical.observations).toEqual([expect.objectContaining({ ref: 'MDC_IDC_DEV_IMPLANT_DT', value: '20240115', kind: 'setting' })]);
    expect(m.unmapped).toEqual([]);
  });

  it('reads a date-time as written, in its own offset or the message\'s', () => {
    expect(iso(mapped(oru([SESSION, implant('202401151030+0100')])).implant?.at)).toBe('2024-01-15T09:30:00.000Z');
    expect(iso(mapped(oru([SESSION, implant('20240115103000')], { msh7: '20260304020000-0500' })).implant?.at)).toBe('2024-01-15T15:30:00.000Z');
    // A date with an offset but no time is still that day at 00:00 UTC.
    expect(iso(mapped(oru([SESSION, implant('20240115+0200')])).implant?.at)).toBe('2024-01-15T00:00:00.000Z');
  });

  it('takes the older MDC_IDC_PG_IMPLANT_DT name, and the code alone', () => {
    expect(iso(mapped(oru([SESSION, implant('20090501000000', '720901^MDC_IDC_PG_IMPLANT_DT^MDC_IDC')])).implant?.at)).toBe('2009-05-01T00:00:00.000Z');
    expect(iso(mapped(oru([SESSION, implant('20090501', '720901^^MDC')])).implant?.at)).toBe('2009-05-01T00:00:00.000Z');
  });

  it.each([
    ['before 1990', '19891231', 'implant date 1989-12-31 is before 1990; no implant event is recorded'],
    ['after the interrogation that reports it', '20260310', 'implant date 2026-03-10 is after the interrogation that reports it; no implant event is recorded'],
    ['far in the future', '99991231', 'implant date 9999-12-31 is after the interrogation that reports it; no implant event is recorded'],
    ['a year alone', '2009', 'implant date "2009" is not a date (YYYYMMDD); no implant event is recorded'],
    ['not a calendar day', '20230229', 'implant date "20230229" is not a date (YYYYMMDD); no implant event is recorded'],
    ['text', 'last spring', 'implant date "last spring" is not a date (YYYYMMDD); no implant event is recorded'],
  ])('ignores an implant date %s: unmapped with the reason, nothing else lost', (_what, v, detail) => {
    const m = mapped(oru([SESSION, implant(v), 'OBX|7|NM|721344^MDC_IDC_MSMT_BATTERY_VOLTAGE^MDC|1|2.9|V|||||F']));
    expect(m.implant).toBeNull();
    expect(m.unmapped.map((u) => [u.setId, u.reason, u.detail])).toEqual([['5', 'bad_value', detail]]);
    expect(m.readings.map((r) => r.metric)).toEqual(['battery_voltage']);
    expect(m.clinical.observations.map((o) => o.ref)).toEqual(['MDC_IDC_DEV_IMPLANT_DT']);
  });

  it('checks the date against MSH-7 when there is no session time', () => {
    expect(mapped(oru([implant('20260306')])).implant).toBeNull();
    expect(iso(mapped(oru([implant('20260304')])).implant?.at)).toBe('2026-03-04T00:00:00.000Z');
  });

  it('uses the first of two different implant dates, and says so', () => {
    const m = mapped(oru([SESSION, implant('20240115'), implant('20230101').replace('OBX|5|', 'OBX|6|')]));
    expect(iso(m.implant?.at)).toBe('2024-01-15T00:00:00.000Z');
    expect(m.problems).toContain('the message gives 2 different implant dates; the first ("20240115") was used');
  });

  it("collects the leads' plausible implant dates, and keeps lead dates and locations as settings", () => {
    const m = mapped(oru([SESSION, implant('20240115'), lead(10, '1', '20240115'), 'OBX|11|CWE|720966^MDC_IDC_LEAD_LOCATION^MDC|1|RA^Right Atrium||||||F',
      lead(12, '2', '20180601'), lead(13, '3', '17000101'), lead(14, '4', 'n/a')]));
    expect(m.implant?.leadDates.map((t) => iso(t))).toEqual(['2024-01-15T00:00:00.000Z', '2018-06-01T00:00:00.000Z']);
    expect(m.problems).toEqual(expect.arrayContaining([
      'OBX 13: lead implant date "17000101" is before 1990; not used',
      'OBX 14: lead implant date "n/a" is not a date; not used',
    ]));
    expect(m.unmapped).toEqual([]);
    expect(m.clinical.observations.map((o) => [o.ref, o.subId])).toEqual([
      ['MDC_IDC_DEV_IMPLANT_DT', '1'], ['MDC_IDC_LEAD_IMPLANT_DT', '1'], ['MDC_IDC_LEAD_LOCATION', '1'],
      ['MDC_IDC_LEAD_IMPLANT_DT', '2'], ['MDC_IDC_LEAD_IMPLANT_DT', '3'], ['MDC_IDC_LEAD_IMPLANT_DT', '4'],
    ]);
  });

  it('has no implant when the message gives none', () => {
    expect(mapped(oru([SESSION, lead(10, '1', '20240115')])).implant).toBeNull();
  });
});

describe('implantTime', () => {
  it.each([
    ['20240115', '2024-01-15T00:00:00.000Z'],
    ['2024011512', '2024-01-15T12:00:00.000Z'],
    ['20240115000000.0000', '2024-01-15T00:00:00.000Z'],
    ['202401', undefined],
    ['', undefined],
    ['20241301', undefined],
    ['2024011512-2500', undefined],
  ])('%j', (text, expected) => {
    expect(iso(implantTime(text, 0)?.at)).toBe(expected);
  });
});
