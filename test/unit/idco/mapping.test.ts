import { describe, expect, it } from 'vitest';
import { birthDate, readIdco, type IdcoMessage, type IdcoOptions } from '../../../src/ingest/idco/mapping.ts';
import { fixture, oru } from './fixtures.ts';

function mapped(input: string | Uint8Array, options?: IdcoOptions): IdcoMessage {
  const r = readIdco(input, options);
  if (!r.ok) throw new Error(`expected readings, got ${r.error.code}: ${r.error.message}`);
  return r.message;
}

const byMetric = (m: IdcoMessage): Record<string, number> =>
  Object.fromEntries(m.readings.map((r) => [r.metric, r.value]));

describe('CRT-D remote session (CRLF, MDC_IDC_DEV_*)', () => {
  const m = mapped(fixture('crt-d-remote-crlf.hl7'));

  it('identifies the device and the message', () => {
    expect(m.device).toBe('BSX-112233');
    expect(m.deviceInfo).toMatchObject({ manufacturer: 'BSX', model: 'G179 AUTOGEN X4', serial: '112233' });
    expect(m.header).toMatchObject({
      controlId: 'BSX-000042', messageType: 'ORU^R01^ORU_R01', sendingApplication: 'LATITUDE',
      sendingFacility: 'BSX', receivingApplication: 'CARDIOTEL', version: '2.6',
    });
  });

  it('times every reading at the session, offset applied', () => {
    expect(m.sessionTime).toBe('2026-03-04T01:00:00Z');
    expect(new Set(m.readings.map((r) => r.at))).toEqual(new Set(['2026-03-04T01:00:00Z']));
  });

  it('converts to the vocabulary units', () => {
    expect(byMetric(m)).toEqual({
      battery_status: 1,
      battery_voltage: 3.01, // 3010 mV
      battery_longevity: 102, // 8.5 a
      charge_time: 8.3, // 8300 ms
      ra_lead_impedance: 520,
      rv_lead_impedance: 610, // 0.61 kOhm
      lv_lead_impedance: 740,
      shock_impedance: 62,
      ra_capture_threshold: 0.625,
      rv_capture_threshold: 0.75, // 750 mV
      lv_capture_threshold: 1.25,
    });
    const units = Object.fromEntries(m.readings.map((r) => [r.metric, r.unit]));
    expect(units).toMatchObject({
      battery_status: '{status}', battery_voltage: 'V', battery_longevity: 'mo', charge_time: 's',
      rv_lead_impedance: 'Ohm', rv_capture_threshold: 'V',
    });
  });

  it('reads the "recent" counters as counters, not as readings (they count since a reset, not since the last report)', () => {
    expect(m.clinical.counters).toEqual([
      { name: 'MDC_IDC_STAT_TACHYTHERAPY_ATP_DELIVERED_RECENT', value: 2, periodStart: undefined, episodeClass: null },
      { name: 'MDC_IDC_STAT_TACHYTHERAPY_SHOCKS_DELIVERED_RECENT', value: 1, periodStart: undefined, episodeClass: null },
    ]);
    expect(m.readings.some((r) => r.metric === 'shocks_delivered' || r.metric === 'atp_delivered')).toBe(false);
  });

  it('gathers each episode from its sub-id, and keeps settings apart', () => {
    expect(m.clinical.episodes.map((e) => ({ sub: e.subId, cls: e.episodeClass, duration: e.durationS, therapy: e.therapy }))).toEqual([
      { sub: '1', cls: 'vt', duration: 42, therapy: 'ATP x2\n1x 41 J shock, terminated' },
      { sub: '2', cls: 'nsvt', duration: 6, therapy: '' },
    ]);
    // No episode time in the message: the episodes take the report's (known to the caller).
    expect(m.clinical.episodes.every((e) => e.at === undefined)).toBe(true);
    expect(m.clinical.observations).toEqual([{ ref: 'MDC_IDC_SET_LEADCHNL_RA_PACING_AMPLITUDE', subId: '1', value: '2.5', unit: 'V', kind: 'setting' }]);
    expect(m.reportTime).toBe(Date.parse('2026-03-04T01:00:00Z'));
  });

  it('returns unknown codes, vendor-local ones included, as unmapped with their raw text', () => {
    // Episodes, counters and settings are read now; a vendor-local code is not.
    expect(m.unmapped.map((u) => [u.setId, u.reason, u.subId])).toEqual([['21', 'unknown_code', '1']]);
    const local = m.unmapped[0];
    expect(local?.raw).toBe('OBX|21|DTM|BSX-EPI-ONSET^Episode onset^99BSX|1|20260303224512+0100||||||F');
    expect(local?.code).toBe('BSX-EPI-ONSET^Episode onset^99BSX');
    expect(local?.valueType).toBe('DTM');
  });

  it('gives every reading a distinct key that survives a second posting', () => {
    const keys = m.readings.map((r) => r.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(mapped(fixture('crt-d-remote-crlf.hl7')).readings.map((r) => r.key)).toEqual(keys);
    expect(keys).toContain('BSX-112233|2026-03-04T01:00:00Z|battery_voltage|1');
  });
});

describe('legacy pacemaker (CR, MDC_IDC_PG_*)', () => {
  const m = mapped(fixture('pacemaker-legacy-cr.hl7'));

  it('reads the manufacturer from an MDC enumeration and the serial from MDC_IDC_PG_SERIAL', () => {
    expect(m.device).toBe('STJ-7788123');
    expect(m.deviceInfo.model).toBe('PM2210');
  });

  it('falls back to OBX-14 without a session time', () => {
    expect(m.sessionTime).toBeNull();
    expect(m.readings.every((r) => r.at === '2010-03-22T10:10:10Z')).toBe(true);
  });

  it('tolerates the truncated coding system ^MD, a vendor-local system and text battery status', () => {
    expect(byMetric(m)).toEqual({ rv_lead_impedance: 480, battery_voltage: 2.79, battery_status: 3, battery_longevity: 2.5 });
    expect(m.problems).toContain('OBX 5: coding system "MD" read as MDC');
  });

  it('keeps unknown vendor codes and a result that could not be obtained as unmapped', () => {
    expect(m.unmapped.map((u) => [u.setId, u.reason])).toEqual([['9', 'unknown_code'], ['10', 'unknown_code'], ['11', 'not_final']]);
    expect(m.unmapped[1]?.raw).toBe('OBX|10|ST|99001^Clinician note^99STJ|1|RA \\T\\ RV checked\\F\\ ok \\S\\ stable||||||F|||20100322101010');
    expect(m.unmapped[1]?.code).toBe('99001^Clinician note^99STJ');
  });
});

describe('ICD identified by PID-3 only (LF)', () => {
  const m = mapped(fixture('icd-pid-identity-lf.hl7'));

  it('takes model:X/serial:Y and the assigning authority from PID-3', () => {
    expect(m.device).toBe('BIO-68123456');
    expect(m.deviceInfo).toMatchObject({ manufacturer: 'BIO', model: 'Acticor 7 DR-T', serial: '68123456' });
  });

  it("reads times without offset in MSH-7's zone", () => {
    // OBR-7 20260110083000 at MSH-7's -0500.
    expect(m.readings[0]?.at).toBe('2026-01-10T13:30:00Z');
  });

  it('maps EOS, and quarantines an empty and a non-numeric value', () => {
    expect(byMetric(m)).toEqual({ battery_status: 4, battery_voltage: 2.41, battery_longevity: 0 });
    expect(m.unmapped.map((u) => [u.setId, u.reason])).toEqual([['4', 'no_value'], ['5', 'bad_value']]);
  });
});

describe('value types', () => {
  const one = (obx: string, options?: IdcoOptions): IdcoMessage => mapped(oru([obx]), options);

  it.each([
    ['NM', 'OBX|1|NM|721344^MDC_IDC_MSMT_BATTERY_VOLTAGE^MDC|1|2.95|V', 2.95],
    ['ST with a number', 'OBX|1|ST|721344^MDC_IDC_MSMT_BATTERY_VOLTAGE^MDC|1| 2.95 |V', 2.95],
    ['TX with a number', 'OBX|1|TX|721344^MDC_IDC_MSMT_BATTERY_VOLTAGE^MDC|1|2.95|V', 2.95],
    ['SN', 'OBX|1|SN|721344^MDC_IDC_MSMT_BATTERY_VOLTAGE^MDC|1|=^2.95|V', 2.95],
    ['CWE battery status by text', 'OBX|1|CWE|721280^MDC_IDC_MSMT_BATTERY_STATUS^MDC|1|MOS^Middle of Service^L', 2],
    ['CE battery status by reference id', 'OBX|1|CE|721280^MDC_IDC_MSMT_BATTERY_STATUS^MDC|1|^MDC_IDC_ENUM_BATTERY_STATUS_ERI^MDC', 3],
    ['ST battery status', 'OBX|1|ST|721280^MDC_IDC_MSMT_BATTERY_STATUS^MDC|1|End of Life', 4],
    ['NM battery status in vocabulary numbers', 'OBX|1|NM|721280^MDC_IDC_MSMT_BATTERY_STATUS^MDC|1|2|{status}', 2],
  ])('reads %s', (_type, obx, expected) => {
    expect(one(obx).readings.map((r) => r.value)).toEqual([expected]);
  });

  it.each([
    ['DTM', 'OBX|1|DTM|721344^MDC_IDC_MSMT_BATTERY_VOLTAGE^MDC|1|20260304', 'bad_value'],
    ['CWE for a number', 'OBX|1|CWE|721344^MDC_IDC_MSMT_BATTERY_VOLTAGE^MDC|1|LOW^Low', 'bad_value'],
    ['an unknown battery status', 'OBX|1|CWE|721280^MDC_IDC_MSMT_BATTERY_STATUS^MDC|1|754999^Unknown^MDC', 'bad_value'],
    ['a comma decimal', 'OBX|1|NM|721344^MDC_IDC_MSMT_BATTERY_VOLTAGE^MDC|1|2,95|V', 'bad_value'],
    ['SN with a range', 'OBX|1|SN|721344^MDC_IDC_MSMT_BATTERY_VOLTAGE^MDC|1|^2^-^3|V', 'bad_value'],
    ['a foreign unit', 'OBX|1|NM|721344^MDC_IDC_MSMT_BATTERY_VOLTAGE^MDC|1|2.95|Ohm', 'unit_mismatch'],
    ['a count with a real unit', 'OBX|1|NM|737824^MDC_IDC_STAT_TACHYTHERAPY_SHOCKS_DELIVERED_RECENT^MDC|1|1|s', 'unit_mismatch'],
    ['an ED with a known code', 'OBX|1|ED|721344^MDC_IDC_MSMT_BATTERY_VOLTAGE^MDC|1|^AP^PDF^Base64^QUJD', 'encapsulated_data'],
    ['a deleted result', 'OBX|1|NM|721344^MDC_IDC_MSMT_BATTERY_VOLTAGE^MDC|1|2.95|V|||||D', 'not_final'],
  ])('quarantines %s', (_what, obx, reason) => {
    const m = one(obx);
    expect(m.readings).toEqual([]);
    expect(m.unmapped.map((u) => u.reason)).toEqual([reason]);
  });

  it('takes the first repetition of a repeated value and says so', () => {
    const m = one('OBX|1|NM|721344^MDC_IDC_MSMT_BATTERY_VOLTAGE^MDC|1|2.9~3.1|V');
    expect(m.readings[0]?.value).toBe(2.9);
    expect(m.problems.join()).toMatch(/repetitions/);
  });

  it('reads a missing unit as the vocabulary unit and says so', () => {
    const m = one('OBX|1|NM|722433^MDC_IDC_MSMT_LEADCHNL_RV_IMPEDANCE_VALUE^MDC|1|500');
    expect(m.readings[0]).toMatchObject({ metric: 'rv_lead_impedance', value: 500, unit: 'Ohm' });
    expect(m.problems.join()).toMatch(/no unit given; read as Ohm/);
  });

  it('decodes escapes before reading a number', () => {
    const m = one('OBX|1|ST|721344^MDC_IDC_MSMT_BATTERY_VOLTAGE^MDC|1|\\X32\\.95|V');
    expect(m.readings[0]?.value).toBe(2.95);
  });

  it('finds the code by reference id alone, or in the alternate triplet', () => {
    expect(one('OBX|1|NM|^MDC_IDC_MSMT_BATTERY_VOLTAGE^MDC|1|2.9|V').readings[0]?.metric).toBe('battery_voltage');
    expect(one('OBX|1|NM|B7^Batt volts^99VND^721344^^MDC|1|2.9|V').readings[0]?.metric).toBe('battery_voltage');
    // A vendor's own number is not read as an MDC code.
    expect(one('OBX|1|NM|721344^Batt volts^99VND|1|2.9|V').unmapped[0]?.reason).toBe('unknown_code');
  });
});

describe('the patient birth date (PID-7)', () => {
  const obx = ['OBX|1|NM|720897^MDC_IDC_MSMT_BATTERY_VOLTAGE^MDC||2.9|V|||||F'];
  const read = (pid: string) => {
    const r = readIdco(oru(obx, { pid }));
    if (!r.ok) throw new Error(r.error.message);
    return r.message.patientBirthDate;
  };

  it('is read as a date from PID-7, whatever time follows it', () => {
    expect(read('PID|||model:M1/serial:SN1^^^MDT^U||Doe^Jane||19530422153118|F')).toBe('1953-04-22');
    expect(read('PID|||model:M1/serial:SN1^^^MDT^U||Doe^Jane||19550101|F')).toBe('1955-01-01');
  });

  it('is null when absent or not a real date', () => {
    expect(read('PID|||model:M1/serial:SN1^^^MDT^U')).toBeNull();
    for (const bad of ['1955', '19550231', '19551301', '18000101', 'yesterday', '2026-01-01']) expect(birthDate(bad), bad).toBeNull();
  });
});
