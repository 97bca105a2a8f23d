// Whatever arrives on the wire, the IDCO code answers with a value, never an exception.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildAck } from '../../../src/ingest/idco/ack.ts';
import { parseHl7 } from '../../../src/ingest/idco/hl7.ts';
import { readIdco } from '../../../src/ingest/idco/mapping.ts';
import { MllpDecoder } from '../../../src/ingest/idco/mllp.ts';

const RUNS = { numRuns: 300 };

// Pieces a real message is made of, so that random messages reach the mapper's branches.
const piece = fc.constantFrom(
  '|', '^', '~', '\\', '&', '\\F\\', '\\X0D\\', '\\X\\', '\\Z\\', '\r', '\n', '\r\n', '', ' ', '1', '2.95', '-0.5', '1e9',
  'OBX', 'OBR', 'PID', 'MSH', 'NM', 'ST', 'CWE', 'CE', 'SN', 'DTM', 'TX', 'ED', 'F', 'X', 'MDC', 'MD', '99VND',
  '721344', '721280', '720899', '720900', '721025', '737824', 'MDC_IDC_MSMT_BATTERY_VOLTAGE', 'MDC_IDC_DEV_SERIAL',
  'MDC_IDC_ENUM_BATTERY_STATUS_EOS', 'BOS', 'RRT', 'model:M/serial:S', 'mV', 'kOhm', 'a', '{shocks}',
  '20260304020000', '20260304020000+0100', '20261399', '+9999', 'ORU', 'R01', 'ACK',
);
const hl7ish = fc.tuple(
  fc.constantFrom('MSH|^~\\&|', 'MSH|^~\\&#|', 'MSH#*@!%#', 'MSH|^|', 'MSH|^~\\&|A|B|C|D|20260304||ORU^R01|1|P|2.5\r'),
  fc.array(piece, { maxLength: 80 }),
).map(([head, parts]) => head + parts.join(''));

// Well-formed ORU^R01 messages with random OBX content, so that readings do come out.
const obx = fc.record({
  type: fc.constantFrom('NM', 'ST', 'CWE', 'SN', 'DTM', 'ED', 'TX', ''),
  code: fc.constantFrom('721344', '721280', '721472', '722433', '737824', '721025', '720899', '^MDC_IDC_MSMT_CAP_CHARGE_TIME', '999', ''),
  system: fc.constantFrom('MDC', 'MD', '99VND', ''),
  subId: fc.constantFrom('', '1', '2', '1.1'),
  value: fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 500_000 }).map((n) => String(n / 100)) },
    fc.double({ noNaN: true }).map(String), piece, fc.string({ maxLength: 12 }),
  ),
  unit: fc.constantFrom('', '', 'V', 'mV', 'Ohm', 'kOhm', 'a', 'd', 'ms', 's', '{x}', '%', 'J'),
  status: fc.constantFrom('F', 'C', 'X', ''),
  time: fc.constantFrom('', '20260304020000', '2026030402+0530', 'never'),
}).map((o) => `OBX|1|${o.type}|${o.code}^^${o.system}|${o.subId}|${o.value}|${o.unit}|||||${o.status}|||${o.time}`);
const oruMessage = fc.tuple(
  fc.constantFrom('\r', '\n', '\r\n'),
  fc.constantFrom('', '20260304020000', '20260304020000-0800', 'bad'),
  fc.array(fc.oneof({ weight: 4, arbitrary: obx }, fc.string({ maxLength: 20 })), { maxLength: 12 }),
).map(([sep, msh7, lines]) => [`MSH|^~\\&|A|B|C|D|${msh7}||ORU^R01|1|P|2.5`, 'PID|||model:M/serial:S 1^^^MDT', ...lines].join(sep));

describe('never throws', () => {
  it('parseHl7 and readIdco on arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => {
      expect(typeof parseHl7(s).ok).toBe('boolean');
      expect(typeof readIdco(s).ok).toBe('boolean');
    }), RUNS);
  });

  it('parseHl7 and readIdco on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      expect(typeof parseHl7(b).ok).toBe('boolean');
      expect(typeof readIdco(b).ok).toBe('boolean');
    }), RUNS);
  });

  it('readIdco and buildAck on HL7-shaped noise, with readings that obey the contract', () => {
    fc.assert(fc.property(fc.oneof(hl7ish, oruMessage), fc.integer({ min: -900, max: 900 }), (text, offset) => {
      const r = readIdco(text, { defaultOffsetMinutes: offset });
      const ack = buildAck({ received: r.ok ? r.message.header : r.header, code: r.ok ? 'AA' : 'AE', controlId: 'c', time: 0 });
      expect(ack.startsWith('MSH')).toBe(true);
      if (!r.ok) return;
      for (const reading of r.message.readings) {
        expect(reading.device).toMatch(/^[A-Za-z0-9._:-]{1,64}$/);
        expect(Number.isFinite(reading.value)).toBe(true);
        expect(Number.isNaN(Date.parse(reading.at))).toBe(false);
      }
      expect(new Set(r.message.readings.map((x) => x.key)).size).toBe(r.message.readings.length);
    }), { numRuns: 1000 });
  });

  it('MllpDecoder on arbitrary chunks of arbitrary bytes', () => {
    const framingHeavy = fc.uint8Array({ maxLength: 64 }).map((b) => b.map((x) => [0x0b, 0x1c, 0x0d, x][x % 4]!));
    fc.assert(fc.property(fc.array(fc.oneof(fc.uint8Array({ maxLength: 64 }), framingHeavy), { maxLength: 20 }), fc.integer({ min: 1, max: 64 }), (chunks, max) => {
      const d = new MllpDecoder({ maxMessageBytes: max });
      for (const chunk of chunks) {
        for (const e of d.push(chunk)) {
          if (e.type === 'message') expect(e.data.length).toBeLessThanOrEqual(max);
        }
      }
      d.end();
      expect(d.inFrame).toBe(false);
    }), RUNS);
  });
});
