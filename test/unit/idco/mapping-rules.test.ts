import { describe, expect, it } from 'vitest';
import { deviceId, manufacturerCode, normaliseIdPart } from '../../../src/ingest/idco/device.ts';
import { readIdco, type IdcoMessage, type IdcoOptions } from '../../../src/ingest/idco/mapping.ts';
import { toVocabularyUnit } from '../../../src/ingest/idco/units.ts';
import { metricByName } from '../../../src/domain/vocabulary.ts';
import { oru } from './fixtures.ts';

function mapped(input: string, options?: IdcoOptions): IdcoMessage {
  const r = readIdco(input, options);
  if (!r.ok) throw new Error(`expected readings, got ${r.error.code}: ${r.error.message}`);
  return r.message;
}

const VOLTS = (setId: number, subId: string, v: string, extra = ''): string =>
  `OBX|${setId}|NM|721344^MDC_IDC_MSMT_BATTERY_VOLTAGE^MDC|${subId}|${v}|V|||||F${extra}`;

describe('sub-ids and keys', () => {
  it('keeps repeated instances apart by OBX-4', () => {
    const m = mapped(oru([VOLTS(1, '1', '2.9'), VOLTS(2, '2', '2.8')]));
    expect(m.readings.map((r) => [r.value, r.key])).toEqual([
      [2.9, 'MDT-SN1|2026-03-04T02:00:00Z|battery_voltage|1'],
      [2.8, 'MDT-SN1|2026-03-04T02:00:00Z|battery_voltage|2'],
    ]);
  });

  it('numbers exact repeats so that no two readings of a message share a key', () => {
    const m = mapped(oru([VOLTS(1, '', '2.9'), VOLTS(2, '', '2.9')]));
    expect(m.readings.map((r) => r.key)).toEqual([
      'MDT-SN1|2026-03-04T02:00:00Z|battery_voltage|',
      'MDT-SN1|2026-03-04T02:00:00Z|battery_voltage|#2',
    ]);
  });

  it('gives the same keys whatever the separators and framing of the same message', () => {
    const obx = [VOLTS(1, '1', '2.9'), VOLTS(2, '2', '2.8')];
    const keys = mapped(oru(obx)).readings.map((r) => r.key);
    expect(mapped(`\u000b${oru(obx, { sep: '\r\n' })}\r\n\u001c\r`).readings.map((r) => r.key)).toEqual(keys);
  });
});

describe('event time', () => {
  const SESSION = 'OBX|9|DTM|721025^MDC_IDC_SESS_DTM^MDC|1|20260301120000';

  it('prefers the session time over OBX-14, OBR-7 and MSH-7, even when it comes later', () => {
    const m = mapped(oru([VOLTS(1, '1', '2.9', '|||20260302000000'), SESSION]));
    expect(m.sessionTime).toBe('2026-03-01T12:00:00Z');
    expect(m.readings[0]?.at).toBe('2026-03-01T12:00:00Z');
  });

  it('uses OBX-14, then MSH-7, when there is no session time', () => {
    const m = mapped(oru([VOLTS(1, '1', '2.9', '|||20260302000000'), VOLTS(2, '2', '2.8')]));
    expect(m.readings.map((r) => r.at)).toEqual(['2026-03-02T00:00:00Z', '2026-03-04T02:00:00Z']);
  });

  it('reads times without offset in the configured default offset when MSH-7 has none', () => {
    const m = mapped(oru([SESSION], { msh7: '20260304020000' }), { defaultOffsetMinutes: 60 });
    expect(m.sessionTime).toBe('2026-03-01T11:00:00Z');
  });

  it("takes MSH-7's explicit offset over the configured default", () => {
    const m = mapped(oru([SESSION], { msh7: '20260304020000-0300' }), { defaultOffsetMinutes: 60 });
    expect(m.sessionTime).toBe('2026-03-01T15:00:00Z');
  });

  it('keeps the session of each OBR group apart', () => {
    const m = mapped(oru([SESSION, VOLTS(1, '1', '2.9'), 'OBR|2||2|Remote Follow-up',
      'OBX|1|DTM|721025^MDC_IDC_SESS_DTM^MDC|1|20260302120000', VOLTS(2, '1', '2.8')]));
    expect(m.readings.map((r) => r.at)).toEqual(['2026-03-01T12:00:00Z', '2026-03-02T12:00:00Z']);
  });

  it('quarantines a reading no time can be found for, and reports a bad session time', () => {
    const m = mapped(oru(['OBX|9|DTM|721025^MDC_IDC_SESS_DTM^MDC|1|soon', VOLTS(1, '1', '2.9')], { msh7: '' }));
    expect(m.readings).toEqual([]);
    expect(m.unmapped.map((u) => u.reason)).toEqual(['no_time']);
    expect(m.problems.join('\n')).toMatch(/session time "soon"/);
  });
});

describe('device identity', () => {
  it('normalises to the device-id alphabet', () => {
    expect(normaliseIdPart(' PZC 600/368 S ')).toBe('PZC_600_368_S');
    expect(normaliseIdPart('ÄB§C.d:e-f_g')).toBe('B_C.d:e-f_g');
    expect(deviceId('Boston Sci', 'ab 12')).toEqual({ ok: true, id: 'BOSTON_SCI-ab_12' });
    expect(deviceId('', 'X1')).toEqual({ ok: true, id: 'X1' });
    expect(deviceId('MDT', 'S'.repeat(61)).ok).toBe(false);
    expect(deviceId('MDT', '///').ok).toBe(false);
  });

  it('turns spelled-out manufacturers and MDC enumerations into codes', () => {
    expect(manufacturerCode(['Medtronic'])).toBe('MDT');
    expect(manufacturerCode(['St. Jude Medical'])).toBe('STJ');
    expect(manufacturerCode(['753751', 'MDC_IDC_ENUM_MFG_STJ'])).toBe('STJ');
    expect(manufacturerCode(['ACME Devices'])).toBe('ACME_DEVICES');
  });

  it('prefers OBX identity over PID-3 and reports a disagreement', () => {
    const m = mapped(oru(['OBX|1|ST|720899^MDC_IDC_DEV_SERIAL^MDC|1|SN2', 'OBX|2|CWE|720900^MDC_IDC_DEV_MFG^MDC|1|Biotronik', VOLTS(3, '1', '2.9')]));
    expect(m.device).toBe('BIO-SN2');
    expect(m.problems.join()).toMatch(/serial.*differs/);
  });

  it('uses the serial alone when no manufacturer is named', () => {
    const m = mapped(oru([VOLTS(1, '1', '2.9')], { pid: 'PID|||model:M/serial:ZX 9' }));
    expect(m.device).toBe('ZX_9');
    expect(m.problems.join()).toMatch(/no manufacturer/);
  });
});

describe('messages that cannot be used', () => {
  it('rejects a message type other than ORU^R01, keeping the header for the ACK', () => {
    const r = readIdco('MSH|^~\\&|A|B|C|D|20260304||ADT^A01|X1|P|2.5\rPID|||1');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('unsupported_message');
      expect(r.error.message).toMatch(/ADT\^A01/);
      expect(r.header?.controlId).toBe('X1');
    }
  });

  it('rejects a message without any device serial', () => {
    const r = readIdco(oru([VOLTS(1, '1', '2.9')], { pid: 'PID|||12345^^^HOSP^MR' }));
    expect(r.ok ? 'ok' : r.error.code).toBe('no_device');
  });

  it('passes parse errors through with no header', () => {
    const r = readIdco('hello');
    expect(r.ok).toBe(false);
    if (!r.ok) expect([r.error.code, r.header]).toEqual(['not_hl7', null]);
  });
});

describe('a large ED observation', () => {
  it('is skipped, elided from the quarantine copy, and costs the other readings nothing', () => {
    const pdf = Buffer.alloc(200_000, 1).toString('base64');
    const m = mapped(oru([VOLTS(1, '1', '2.9'), `OBX|2|ED|18750-0^Report^LN||^AP^PDF^Base64^${pdf}||||||F`, VOLTS(3, '2', '2.8')]));
    expect(m.readings.map((r) => r.value)).toEqual([2.9, 2.8]);
    expect(m.unmapped).toHaveLength(1);
    expect(m.unmapped[0]).toMatchObject({ reason: 'encapsulated_data', valueType: 'ED' });
    expect(m.unmapped[0]!.raw).toBe(`OBX|2|ED|18750-0^Report^LN||<ED data of ${pdf.length + 15} characters not kept>||||||F`);
    expect(m.problems.join()).toMatch(/ED data .* is not stored/);
  });

  it('survives base64 wrapped with escaped CR and bare LF line breaks, as some senders write it', () => {
    const lines = Buffer.alloc(120_000, 3).toString('base64').match(/.{1,76}/g)!;
    const ed = `OBX|2|ED|18750-0^Report^LN^^egm.pdf||Vendor^PDF^^Base64^${lines.join('\\X000d\\\n')}\\X000d\\\n||||||F|||20260304020000`;
    const m = mapped(oru([VOLTS(1, '1', '2.9'), ed, VOLTS(3, '2', '2.8')], { sep: '\n' }));
    expect(m.readings.map((r) => r.value)).toEqual([2.9, 2.8]);
    expect(m.unmapped.map((u) => [u.setId, u.reason])).toEqual([['2', 'encapsulated_data']]);
    expect(m.unmapped[0]!.raw).toMatch(/^OBX\|2\|ED\|.*not kept>\|\|\|\|\|\|F\|\|\|20260304020000$/);
  });
});

describe('toVocabularyUnit', () => {
  const conv = (v: number, unit: string, metric: string): number | string => {
    const r = toVocabularyUnit(v, unit, metricByName(metric));
    return r.ok ? r.value : r.reason;
  };

  it.each([
    [2950, 'mV', 'battery_voltage', 2.95],
    [3.1, 'V', 'p_wave_amplitude', 3100],
    [1.2, 'kOhm', 'rv_lead_impedance', 1200],
    [450, 'ohms', 'rv_lead_impedance', 450],
    [9100, 'ms', 'charge_time', 9.1],
    [0.35, 's', 'hrv_sdaam', 350],
    [7, 'a', 'battery_longevity', 84],
    [365.25, 'd', 'battery_longevity', 12],
    [25, '%', 'af_burden', 6],
    [90, 'min/d', 'af_burden', 1.5],
    [2, 'h/d', 'activity', 120],
    [72, '{beats}/min', 'heart_rate', 72],
    [3, '{seq}', 'atp_delivered', 3],
    [3, '1', 'vt_episodes', 3],
  ])('%d %s as %s is %d', (v, unit, metric, expected) => {
    expect(conv(v, unit, metric)).toBe(expected);
  });

  it('refuses units of another dimension', () => {
    expect(conv(3, 'J', 'shock_impedance')).toMatch(/cannot be converted/);
    expect(conv(3, 'mV', 'heart_rate')).toMatch(/cannot be converted/);
  });
});
