import { describe, expect, it } from 'vitest';
import { buildAck, HL7_ERROR_FOR } from '../../../src/ingest/idco/ack.ts';
import { readHeader } from '../../../src/ingest/idco/header.ts';
import { parseHl7, value } from '../../../src/ingest/idco/hl7.ts';
import { readIdco } from '../../../src/ingest/idco/mapping.ts';
import { fixture } from './fixtures.ts';

const NOW = Date.UTC(2026, 2, 4, 2, 16, 3);

function headerOf(text: string | Uint8Array) {
  const r = parseHl7(text);
  if (!r.ok) throw new Error(r.error.message);
  const h = readHeader(r.message);
  if (!h) throw new Error('no header');
  return h;
}

const lines = (ack: string): string[] => {
  expect(ack.endsWith('\r')).toBe(true);
  expect(ack).not.toMatch(/\n/);
  return ack.slice(0, -1).split('\r');
};

describe('buildAck', () => {
  const received = headerOf(fixture('crt-d-remote-crlf.hl7'));

  it('accepts with MSA|AA, swapping sender and receiver and echoing the control id', () => {
    const ack = buildAck({ received, code: 'AA', controlId: 'ACK-0001', time: NOW });
    expect(lines(ack)).toEqual([
      'MSH|^~\\&|CARDIOTEL|CLINIC01|LATITUDE^2.16.840.1.113883.3.9999^ISO|BSX|20260304021603+0000||ACK^R01^ACK|ACK-0001|P|2.6',
      'MSA|AA|BSX-000042',
    ]);
  });

  it('adds a warning to an AA as an ERR segment of severity W', () => {
    const ack = buildAck({ received, code: 'AA', controlId: 'A4', time: NOW, reason: 'accepted 1', warning: 'check | the enrolment' });
    const [, msa, err] = lines(ack);
    expect(msa).toBe('MSA|AA|BSX-000042|accepted 1');
    expect(err).toBe('ERR|||0^Message accepted^HL70357|W||||check \\F\\ the enrolment');
  });

  it('answers AE with a readable reason in MSA-3 and an ERR segment', () => {
    const ack = buildAck({ received, code: 'AE', controlId: 'A2', time: NOW, reason: 'no device serial | PID-3', error: '101' });
    const [, msa, err] = lines(ack);
    expect(msa).toBe('MSA|AE|BSX-000042|no device serial \\F\\ PID-3');
    expect(err).toBe('ERR|||101^Required field missing^HL70357|E||||no device serial \\F\\ PID-3');
  });

  it('answers AR when storage is unavailable', () => {
    const ack = buildAck({ received, code: 'AR', controlId: 'A3', time: NOW, reason: 'storage unavailable; resend later' });
    const [, msa, err] = lines(ack);
    expect(msa).toBe('MSA|AR|BSX-000042|storage unavailable; resend later');
    expect(err).toMatch(/^ERR\|\|\|207\^Application internal error\^HL70357\|E\|/);
  });

  it("replies in the sender's own delimiters", () => {
    const custom = headerOf('MSH#*@!%#APP#FAC#SVC#SITE#20260304##ORU*R01#C!F!9#T#2.5');
    const ack = buildAck({ received: custom, code: 'AE', controlId: 'R#1', time: NOW, reason: 'bad * value' });
    expect(lines(ack)).toEqual([
      'MSH#*@!%#SVC#SITE#APP#FAC#20260304021603+0000##ACK*R01*ACK#R!F!1#T#2.5',
      'MSA#AE#C!F!9#bad !S! value',
      'ERR###207*Application internal error*HL70357#E####bad !S! value',
    ]);
    // The reply parses, and MSA-2 reads back as the original control id.
    const back = parseHl7(ack);
    expect(back.ok && value(back.message.segments[1]!, back.message.encoding, 2)).toBe('C#9');
  });

  it('fills in its own application and facility when the sender addressed none', () => {
    const bare = headerOf('MSH|^~\\&|GW||||20260304||ORU^R01|77|P|2.5');
    const ack = buildAck({ received: bare, code: 'AA', controlId: 'A4', time: NOW, application: 'CARDIOTEL', facility: 'SITE-1' });
    expect(lines(ack)[0]).toBe('MSH|^~\\&|CARDIOTEL|SITE-1|GW||20260304021603+0000||ACK^R01^ACK|A4|P|2.5');
  });

  it('builds a minimal AE for input that could not be parsed', () => {
    const r = readIdco('%PDF-1.5 binary');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const ack = buildAck({ received: r.header, code: 'AE', controlId: 'A5', time: NOW, reason: r.error.message, error: HL7_ERROR_FOR[r.error.code] });
    const [msh, msa, err] = lines(ack);
    expect(msh).toBe('MSH|^~\\&|||||20260304021603+0000||ACK|A5|P|2.5');
    expect(msa).toBe('MSA|AE||not an HL7 v2 message: it must start with an MSH segment');
    expect(err).toMatch(/^ERR\|\|\|100\^Segment sequence error\^HL70357\|E\|\|\|\|not an HL7/);
  });

  it('cuts MSA-3 to 80 characters and keeps the longer reason in ERR-8', () => {
    const reason = `x${'y'.repeat(300)}`;
    const [, msa, err] = lines(buildAck({ received, code: 'AE', controlId: 'A6', time: NOW, reason }));
    expect(msa!.split('|')[3]).toHaveLength(80);
    expect(err!.split('|')[8]).toHaveLength(250);
  });

  it('escapes the reply control id it is given', () => {
    const [msh] = lines(buildAck({ received, code: 'AA', controlId: 'a|b', time: NOW }));
    expect(msh!.split('|')[9]).toBe('a\\F\\b');
  });
});
