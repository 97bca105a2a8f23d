import { describe, expect, it } from 'vitest';
import { readIdco, type IdcoMessage } from '../../../src/ingest/idco/mapping.ts';
import { oru } from './fixtures.ts';

// Statistics (MDC_IDC_STAT_*) are shares of the period since the device's last reset, written
// here as the iCARDEA project's full IDCO example message writes them (IEEE 11073-10103 codes).

function mapped(input: string): IdcoMessage {
  const r = readIdco(input);
  if (!r.ok) throw new Error(`expected readings, got ${r.error.code}: ${r.error.message}`);
  return r.message;
}

const SESSION = 'OBX|90|DTM|721025^MDC_IDC_SESS_DTM^MDC|1|20260301120000';
const AT_START = 'OBX|91|DTM|737665^MDC_IDC_STAT_AT_DTM_START^MDC||20260201000000';
const AT_END = 'OBX|92|DTM|737666^MDC_IDC_STAT_AT_DTM_END^MDC||20260301000000';
const BRADY_END = 'OBX|93|DTM|737506^MDC_IDC_STAT_BRADY_DTM_END^MDC||20260228000000';
const CRT_END = 'OBX|94|DTM|737778^MDC_IDC_STAT_CRT_DTM_END^MDC||20260227000000';

const burden = (v: string, unit = '%', code = '737696^MDC_IDC_STAT_AT_BURDEN_PERCENT^MDC') => `OBX|1|NM|${code}||${v}|${unit}|||||F`;
const rvPaced = (v: string, unit = '%') => `OBX|2|NM|737536^MDC_IDC_STAT_BRADY_RV_PERCENT_PACED^MDC||${v}|${unit}|||||F`;
const crtPaced = (v: string) => `OBX|3|NM|737808^MDC_IDC_STAT_CRT_PERCENT_PACED^MDC||${v}|%|||||F`;
const lvPaced = (v: string) => `OBX|4|NM|737792^MDC_IDC_STAT_CRT_LV_PERCENT_PACED^MDC||${v}|%|||||F`;

const readingsOf = (m: IdcoMessage) => m.readings.map((r) => [r.metric, r.value, r.at]);

describe('statistics the vocabulary has a metric for', () => {
  it('reads AT/AF burden as hours a day: percent × 24 / 100, at the end of its period', () => {
    const m = mapped(oru([SESSION, AT_START, AT_END, burden('10')]));
    expect(readingsOf(m)).toEqual([['af_burden', 2.4, '2026-03-01T00:00:00Z']]);
    expect(m.unmapped).toEqual([]);
  });

  it('takes the AT/AF spelling of the burden term, and a burden already in hours a day', () => {
    expect(readingsOf(mapped(oru([SESSION, burden('25', '%', '^MDC_IDC_STAT_ATAF_BURDEN_PERCENT^MDC')]))))
      .toEqual([['af_burden', 6, '2026-03-01T12:00:00Z']]);
    expect(readingsOf(mapped(oru([SESSION, burden('90', 'min/d')])))).toEqual([['af_burden', 1.5, '2026-03-01T12:00:00Z']]);
  });

  it("reads a value without a unit in the term's unit (%), not the metric's (h/d), and says so", () => {
    const m = mapped(oru([SESSION, burden('50', '')]));
    expect(readingsOf(m)).toEqual([['af_burden', 12, '2026-03-01T12:00:00Z']]);
    expect(m.problems).toContain("OBX 1: no unit given; read as %, the term's unit");
  });

  it('reads RV pacing as rv_pacing_pct and CRT pacing as crt_pacing_pct, each at its own period end', () => {
    const m = mapped(oru([SESSION, BRADY_END, CRT_END, rvPaced('30'), crtPaced('97.5')]));
    expect(readingsOf(m)).toEqual([
      ['rv_pacing_pct', 30, '2026-02-28T00:00:00Z'],
      ['crt_pacing_pct', 97.5, '2026-02-27T00:00:00Z'],
    ]);
  });

  it('prefers the CRT percentage to the LV one, and uses the LV one when it is alone', () => {
    const both = mapped(oru([SESSION, lvPaced('95'), crtPaced('80')]));
    expect(readingsOf(both)).toEqual([['crt_pacing_pct', 80, '2026-03-01T12:00:00Z']]);
    expect(both.unmapped.map((u) => [u.setId, u.reason])).toEqual([['4', 'superseded']]);
    expect(readingsOf(mapped(oru([SESSION, lvPaced('95')])))).toEqual([['crt_pacing_pct', 95, '2026-03-01T12:00:00Z']]);
  });

  it('reads the mean ventricular rate of the period as heart_rate', () => {
    const m = mapped(oru([SESSION, 'OBX|5|NM|737651^MDC_IDC_STAT_HEART_RATE_VENTRICULAR_MEAN^MDC||72|{beats}/min|||||F',
      'OBX|6|DTM|737618^MDC_IDC_STAT_HEART_RATE_DTM_END^MDC||20260225000000']));
    expect(readingsOf(m)).toEqual([['heart_rate', 72, '2026-02-25T00:00:00Z']]);
  });

  it('leaves statistics without a vocabulary metric unmapped (RA pacing, AV pacing mix, mode switches)', () => {
    const m = mapped(oru([SESSION,
      'OBX|1|NM|737520^MDC_IDC_STAT_BRADY_RA_PERCENT_PACED^MDC||50|%|||||F',
      'OBX|2|NM|737552^MDC_IDC_STAT_BRADY_AP_VP_PERCENT^MDC||10|%|||||F',
      'OBX|3|NM|737744^MDC_IDC_STAT_AT_MODE_SW_COUNT^MDC||10800|{switches}|||||F']));
    expect(m.readings).toEqual([]);
    expect(m.unmapped.map((u) => u.reason)).toEqual(['unknown_code', 'unknown_code', 'unknown_code']);
  });
});

describe('the event time of a statistic', () => {
  it("uses the message-wide statistics period when the term's own has no end", () => {
    const m = mapped(oru([SESSION, 'OBX|9|DTM|737490^MDC_IDC_STAT_DTM_END^MDC||20260220000000', burden('1'), rvPaced('5')]));
    expect(m.readings.map((r) => r.at)).toEqual(['2026-02-20T00:00:00Z', '2026-02-20T00:00:00Z']);
  });

  it('falls back to the session time, then OBX-14, then MSH-7 (the period is taken to end at the interrogation)', () => {
    expect(mapped(oru([SESSION, burden('1')])).readings[0]?.at).toBe('2026-03-01T12:00:00Z');
    expect(mapped(oru([`${burden('1')}|||20260302000000`])).readings[0]?.at).toBe('2026-03-02T00:00:00Z');
    expect(mapped(oru([burden('1')])).readings[0]?.at).toBe('2026-03-04T02:00:00Z');
  });

  it('does not take measurements (not statistics) at a statistics period end', () => {
    const m = mapped(oru([SESSION, AT_END, 'OBX|1|NM|721344^MDC_IDC_MSMT_BATTERY_VOLTAGE^MDC|1|2.9|V|||||F']));
    expect(m.readings[0]?.at).toBe('2026-03-01T12:00:00Z');
  });

  it.each([
    ['before 1990', 'OBX|92|DTM|737666^MDC_IDC_STAT_AT_DTM_END^MDC||18500101', 'statistics period end 1850-01-01T00:00:00Z is before 1990; not used'],
    ['before its start', 'OBX|92|DTM|737666^MDC_IDC_STAT_AT_DTM_END^MDC||20260101', 'statistics period ends (2026-01-01T00:00:00Z) before it starts (2026-02-01T00:00:00Z); not used'],
    ['after the interrogation', 'OBX|92|DTM|737666^MDC_IDC_STAT_AT_DTM_END^MDC||20990101', 'statistics period end 2099-01-01T00:00:00Z is after the interrogation that reports it; not used'],
    ['not a date', 'OBX|92|DTM|737666^MDC_IDC_STAT_AT_DTM_END^MDC||soon', 'OBX 92: statistics period end "soon" is not an HL7 date-time'],
  ])('ignores a period end %s, saying so, and times the statistic by the session', (_what, end, problem) => {
    const m = mapped(oru([SESSION, AT_START, end, burden('10')]));
    expect(readingsOf(m)).toEqual([['af_burden', 2.4, '2026-03-01T12:00:00Z']]);
    expect(m.problems).toContain(problem);
    expect(m.unmapped).toEqual([]);
  });
});

describe('hostile statistic values', () => {
  it.each([
    ['not a number', burden('lots'), 'bad_value', '"lots" is not a number'],
    ['negative', burden('-3'), 'bad_value', '-3 % is not a share of the period (0 to 100 %)'],
    ['over 100 %', rvPaced('150'), 'bad_value', '150 % is not a share of the period (0 to 100 %)'],
    ['over 100 % without a unit', rvPaced('100.5', ''), 'bad_value', '100.5 % is not a share of the period (0 to 100 %)'],
    ['in hours, not a share', burden('3', 'h'), 'unit_mismatch', 'unit "h" cannot be converted to h/d'],
    ['empty', burden(''), 'no_value', 'OBX-5 is empty'],
    ['a date', 'OBX|1|DTM|737696^MDC_IDC_STAT_AT_BURDEN_PERCENT^MDC||20260101|%|||||F', 'bad_value', 'a DTM value cannot be af_burden'],
  ])('quarantines a value %s with its reason, and keeps the rest of the message', (_what, obx, reason, detail) => {
    const m = mapped(oru([SESSION, obx, crtPaced('98'), 'OBX|7|NM|721344^MDC_IDC_MSMT_BATTERY_VOLTAGE^MDC|1|2.9|V|||||F']));
    expect(m.unmapped.map((u) => [u.reason, u.detail])).toEqual([[reason, detail]]);
    expect(m.readings.map((r) => r.metric)).toEqual(['crt_pacing_pct', 'battery_voltage']);
  });

  it('accepts the bounds themselves, 0 % and 100 %', () => {
    expect(readingsOf(mapped(oru([SESSION, burden('0'), rvPaced('100')])))).toEqual([
      ['af_burden', 0, '2026-03-01T12:00:00Z'], ['rv_pacing_pct', 100, '2026-03-01T12:00:00Z'],
    ]);
  });
});
