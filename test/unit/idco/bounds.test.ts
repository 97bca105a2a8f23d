import { describe, expect, it } from 'vitest';
import { countSegments, headerOnly } from '../../../src/ingest/idco/bounds.ts';
import { ParseQueue } from '../../../src/ingest/parse-queue.ts';
import { parseHl7 } from '../../../src/ingest/idco/hl7.ts';

const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');
const MSH = 'MSH|^~\\&|APP|FAC|RCV|RFAC|20240101120000||ORU^R01|CTRL-9|P|2.6';

describe('counting segments before parsing', () => {
  it('counts what the parser reads as segments, whatever the line ends', () => {
    const text = [MSH, 'PID|||x', 'OBR|1', 'OBX|1|NM|a^b^MDC||1', 'OBX|2|NM|a^b^MDC||2'].join('\r\n');
    expect(countSegments(bytes(text), 100)).toBe(5);
    const parsed = parseHl7(bytes(text));
    expect(parsed.ok && parsed.message.segments.length).toBe(5);
    expect(countSegments(bytes(text.replaceAll('\r\n', '\n')), 100)).toBe(5);
    expect(countSegments(bytes(text.replaceAll('\r\n', '\r')), 100)).toBe(5);
  });

  it('does not count wrapped lines of an embedded document, blank lines or a BOM', () => {
    const pdf = 'OBX|3|ED|PDF^report^L||^application^pdf^Base64^JVBERi0xLjQK\nMDAwMDAwMDAw\nQUJDREVGR0hJ\n';
    const text = `\uFEFF${MSH}\r\r\nPID|||x\r${pdf}OBX|4|NM|a^b^MDC||4\r`;
    expect(countSegments(Buffer.from(text, 'utf8'), 100)).toBe(4);
  });

  it('uses the message own field separator', () => {
    const text = `${MSH.replaceAll('|', '#')}\rPID###x\rOBX|not|a|segment|here`;
    expect(countSegments(bytes(text), 100)).toBe(2);
  });

  it('stops at the limit: a message of 240,000 segments costs a scan of its first ones', () => {
    const many = [MSH, ...Array.from({ length: 240_000 }, (_, i) => `OBX|${i}|NM|9^X^MDC||${i}`)].join('\r');
    expect(countSegments(bytes(many), 5000)).toBe(5001);
    expect(countSegments(bytes(many), 1_000_000)).toBe(240_001);
  });

  it('reads the header of a refused message from its first line only', () => {
    const h = headerOnly(bytes(`${MSH}\rOBX|${'x'.repeat(10_000)}`));
    expect(h?.controlId).toBe('CTRL-9');
    expect(headerOnly(bytes('not hl7 at all'))).toBeNull();
    expect(headerOnly(bytes(''))).toBeNull();
  });
});

describe('the parse queue', () => {
  it('runs one task at a time in arrival order, giving the event loop a turn before each', async () => {
    const q = new ParseQueue(8);
    const order: string[] = [];
    // What arrives while one parse runs (here: scheduled by it) is served before the next parse.
    const a = q.run(() => {
      setImmediate(() => order.push('io'));
      order.push('a');
    });
    const b = q.run(() => order.push('b'));
    await Promise.all([a, b]);
    expect(order).toEqual(['a', 'io', 'b']);
  });

  it('refuses a task when as many are waiting as it allows, and takes new ones once they ran', async () => {
    const q = new ParseQueue(2);
    const first = q.run(() => 1);
    const second = q.run(() => 2);
    expect(await q.run(() => 3)).toBeNull();
    expect(await Promise.all([first, second])).toEqual([{ value: 1 }, { value: 2 }]);
    expect(await q.run(() => 4)).toEqual({ value: 4 });
  });
});
