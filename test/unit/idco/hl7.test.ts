import { describe, expect, it } from 'vitest';
import { parseHl7, rawField, value, type Hl7Message } from '../../../src/ingest/idco/hl7.ts';
import { fixture } from './fixtures.ts';

function parsed(input: string | Uint8Array): Hl7Message {
  const r = parseHl7(input);
  if (!r.ok) throw new Error(`expected a message, got ${r.error.code}: ${r.error.message}`);
  return r.message;
}

const SIMPLE = ['MSH|^~\\&|APP|FAC|||20260304020000||ORU^R01|C1|P|2.5', 'PID|||model:M/serial:S', 'OBX|1|NM|721344^MDC_IDC_MSMT_BATTERY_VOLTAGE^MDC|1|2.9|V'];

describe('parseHl7 segment separators', () => {
  it.each([
    ['CR', '\r'], ['LF', '\n'], ['CRLF', '\r\n'],
  ])('splits segments on %s', (_name, sep) => {
    const msg = parsed(SIMPLE.join(sep));
    expect(msg.segments.map((s) => s.id)).toEqual(['MSH', 'PID', 'OBX']);
    expect(value(msg.segments[2]!, msg.encoding, 5)).toBe('2.9');
  });

  it('accepts CR, LF and CRLF mixed in one message', () => {
    const msg = parsed(`${SIMPLE[0]}\r\n${SIMPLE[1]}\r${SIMPLE[2]}\nNTE|1||done`);
    expect(msg.segments.map((s) => s.id)).toEqual(['MSH', 'PID', 'OBX', 'NTE']);
  });

  it('ignores blank lines, trailing whitespace and MLLP framing bytes', () => {
    const framed = `\u000b${SIMPLE[0]}   \r\n\r\n${SIMPLE[1]}\t\r\n \r\n${SIMPLE[2]}\r\n\r\n\u001c\r`;
    const msg = parsed(framed);
    expect(msg.segments.map((s) => s.id)).toEqual(['MSH', 'PID', 'OBX']);
    expect(rawField(msg.segments[0]!, 12)).toBe('2.5');
    expect(msg.problems).toEqual([]);
  });

  it('reads each of the three stored fixtures, whatever its separator', () => {
    for (const name of ['crt-d-remote-crlf.hl7', 'pacemaker-legacy-cr.hl7', 'icd-pid-identity-lf.hl7']) {
      const msg = parsed(fixture(name));
      expect(msg.segments[0]!.id).toBe('MSH');
      expect(msg.segments.filter((s) => s.id === 'OBX').length).toBeGreaterThan(4);
      expect(msg.problems).toEqual([]);
    }
  });

  it('joins lines that do not start a segment to the segment above (wrapped base64)', () => {
    const text = `${SIMPLE[0]}\nOBX|2|ED|18750-0^Report^LN||^AP^PDF^Base64^QUJD\\X000d\\\nREVG\\X000d\\\n||||||F|||20100726120000\nOBX|3|NM|x|1|4`;
    const msg = parsed(text);
    expect(msg.segments.map((s) => s.id)).toEqual(['MSH', 'OBX', 'OBX']);
    const ed = msg.segments[1]!;
    expect(value(ed, msg.encoding, 11)).toBe('F');
    expect(value(ed, msg.encoding, 14)).toBe('20100726120000');
    expect(msg.problems[0]).toMatch(/2 line\(s\).*joined/);
  });

  it('reads only the first message when a second MSH follows', () => {
    const msg = parsed([...SIMPLE, 'MSH|^~\\&|OTHER', 'OBX|9|NM|x|1|1'].join('\r'));
    expect(msg.segments.map((s) => s.id)).toEqual(['MSH', 'PID', 'OBX']);
    expect(msg.problems.join()).toMatch(/second MSH/);
  });
});

describe('parseHl7 encoding characters', () => {
  it('reads the delimiters from MSH-1 and MSH-2 instead of assuming them', () => {
    const text = 'MSH#*@!%#APP*NS#FAC###20260304##ORU*R01#C9#P#2.5\rOBX#1#ST#code*text*L#1#a!F!b@second*x%y';
    const msg = parsed(text);
    expect(msg.encoding).toMatchObject({ field: '#', component: '*', repetition: '@', escape: '!', subcomponent: '%' });
    const msh = msg.segments[0]!;
    expect(value(msh, msg.encoding, 1)).toBe('#');
    expect(value(msh, msg.encoding, 2)).toBe('*@!%');
    expect(value(msh, msg.encoding, 3, 2)).toBe('NS');
    expect(value(msh, msg.encoding, 9, 2)).toBe('R01');
    const obx = msg.segments[1]!;
    expect(value(obx, msg.encoding, 3, 2)).toBe('text');
    expect(value(obx, msg.encoding, 5)).toBe('a#b');
    expect(value(obx, msg.encoding, 5, 2, 2, 2)).toBe('y');
  });

  it('addresses components, sub-components and repetitions 1-based', () => {
    const msg = parsed('MSH|^~\\&|A\rPID|||model:X/serial:Y^^^MDT&1.2.3&ISO^U~OTHER^^^SITE^MR');
    const pid = msg.segments[1]!;
    expect(value(pid, msg.encoding, 3)).toBe('model:X/serial:Y');
    expect(value(pid, msg.encoding, 3, 4)).toBe('MDT');
    expect(value(pid, msg.encoding, 3, 4, 2)).toBe('1.2.3');
    expect(value(pid, msg.encoding, 3, 1, 1, 2)).toBe('OTHER');
    expect(value(pid, msg.encoding, 3, 9)).toBe('');
    expect(value(pid, msg.encoding, 30)).toBe('');
  });

  it('accepts the v2.7 truncation character', () => {
    const msg = parsed('MSH|^~\\&#|A|B');
    expect(msg.encoding.truncation).toBe('#');
    expect(value(msg.segments[0]!, msg.encoding, 3)).toBe('A');
  });
});

describe('parseHl7 bytes', () => {
  it('decodes UTF-8 by default', () => {
    const msg = parsed(Buffer.from('MSH|^~\\&|A\rNTE|1||Zürich', 'utf8'));
    expect(value(msg.segments[1]!, msg.encoding, 3)).toBe('Zürich');
  });

  it('decodes ISO 8859-1 when MSH-18 declares it', () => {
    const msg = parsed(Buffer.from('MSH|^~\\&|A||||||ORU^R01|1|P|2.5||||||8859/1\rNTE|1||Zürich', 'latin1'));
    expect(value(msg.segments[1]!, msg.encoding, 3)).toBe('Zürich');
  });
});

describe('parseHl7 errors', () => {
  it.each([
    ['an empty body', '', 'empty'],
    ['whitespace and framing only', ' \r\n\u000b\u001c\r', 'empty'],
    ['JSON', '{"type":"readings"}', 'not_hl7'],
    ['a segment other than MSH first', 'PID|||x\rMSH|^~\\&|A', 'not_hl7'],
    ['lower-case msh', 'msh|^~\\&|A', 'not_hl7'],
    ['MSH alone', 'MSH', 'bad_encoding'],
    ['a letter as field separator', 'MSHX^~\\&XA', 'bad_encoding'],
    ['no encoding characters', 'MSH||A|B', 'bad_encoding'],
    ['repeated delimiters', 'MSH|^^\\&|A', 'bad_encoding'],
    ['a letter among the encoding characters', 'MSH|^~a&|A', 'bad_encoding'],
    ['too many encoding characters', 'MSH|^~\\&#*|A', 'bad_encoding'],
  ])('rejects %s', (_what, input, code) => {
    const r = parseHl7(input);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe(code);
      expect(r.error.message.length).toBeGreaterThan(10);
    }
  });

  it('says that binary garbage is binary', () => {
    const r = parseHl7(Uint8Array.from([0x25, 0x50, 0x44, 0x46, 0x00, 0x01, 0xff, 0xfe, 0x02]));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/binary/);
  });
});

describe('parseHl7 large values', () => {
  it('reads a message with a 5 MB base64 ED observation without choking', () => {
    const b64 = Buffer.alloc(3_750_000, 7).toString('base64');
    const wrapped = b64.replace(/(.{76})/g, '$1\\X0D\\\n');
    const text = [...SIMPLE, `OBX|2|ED|18750-0^Report^LN||^AP^PDF^Base64^${wrapped}||||||F`, 'OBX|3|NM|x|1|5'].join('\r');
    const started = performance.now();
    const msg = parsed(text);
    // Generous: quadratic work on 5 MB would take minutes, not seconds.
    expect(performance.now() - started).toBeLessThan(3000);
    expect(msg.segments.map((s) => s.id)).toEqual(['MSH', 'PID', 'OBX', 'OBX', 'OBX']);
    expect(value(msg.segments[4]!, msg.encoding, 5)).toBe('5');
  });

  it('trims a long run of inner spaces without backtracking', () => {
    const text = `${SIMPLE[0]}\rNTE|1||${' '.repeat(200_000)}x   \r`;
    const started = performance.now();
    const msg = parsed(text);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(value(msg.segments[1]!, msg.encoding, 3).endsWith(' x')).toBe(true);
  });
});
