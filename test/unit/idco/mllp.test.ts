import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MllpDecoder, encodeMllp, type MllpEvent } from '../../../src/ingest/idco/mllp.ts';

const VT = 0x0b;
const FS = 0x1c;
const CR = 0x0d;
const bytes = (...parts: (string | number[])[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));
const messages = (events: MllpEvent[]): string[] =>
  events.flatMap((e) => (e.type === 'message' ? [e.data.toString('utf8')] : []));
const errors = (events: MllpEvent[]): string[] => events.flatMap((e) => (e.type === 'error' ? [e.code] : []));

describe('encodeMllp', () => {
  it('wraps a message in VT ... FS CR', () => {
    expect([...encodeMllp('MSH|A')]).toEqual([VT, ...Buffer.from('MSH|A'), FS, CR]);
    expect([...encodeMllp(Uint8Array.from([1, 2]))]).toEqual([VT, 1, 2, FS, CR]);
  });
});

describe('MllpDecoder', () => {
  it('yields a message split across chunks, the end block split too', () => {
    const d = new MllpDecoder();
    expect(d.push(bytes([VT], 'MSH|^~'))).toEqual([]);
    expect(d.push(bytes('\\&|A\r', [FS]))).toHaveLength(1);
    expect(d.push(bytes([CR]))).toEqual([]);
    expect(d.inFrame).toBe(false);
    expect(d.junkBytes).toBe(0);
  });

  it('yields several messages from one chunk', () => {
    const d = new MllpDecoder();
    const events = d.push(Buffer.concat([encodeMllp('MSH|1'), encodeMllp('MSH|2'), encodeMllp('MSH|3')]));
    expect(messages(events)).toEqual(['MSH|1', 'MSH|2', 'MSH|3']);
  });

  it('skips and counts junk before a start block', () => {
    const d = new MllpDecoder();
    expect(messages(d.push(bytes('GET / HTTP/1.1\r\n', [VT], 'MSH|1', [FS, CR])))).toEqual(['MSH|1']);
    expect(d.junkBytes).toBe(12); // whitespace between frames is not junk
  });

  it('drops a message over the size limit and recovers at the next frame', () => {
    const d = new MllpDecoder({ maxMessageBytes: 10 });
    const first = d.push(bytes([VT], 'MSH|0123456789'));
    expect(errors(first)).toEqual(['too_large']);
    const rest = d.push(bytes('more', [FS, CR], [VT], 'MSH|ok', [FS, CR]));
    expect(messages(rest)).toEqual(['MSH|ok']);
    expect(errors(rest)).toEqual([]);
  });

  it('accepts a message of exactly the limit', () => {
    const d = new MllpDecoder({ maxMessageBytes: 5 });
    expect(messages(d.push(encodeMllp('MSH|1')))).toEqual(['MSH|1']);
  });

  it('reports a frame abandoned by a new start block, and one left open at the end', () => {
    const d = new MllpDecoder();
    const events = d.push(bytes([VT], 'MSH|half', [VT], 'MSH|whole', [FS, CR], [VT], 'MSH|cut'));
    expect(errors(events)).toEqual(['incomplete']);
    expect(messages(events)).toEqual(['MSH|whole']);
    expect(d.inFrame).toBe(true);
    expect(errors(d.end())).toEqual(['incomplete']);
    expect(d.inFrame).toBe(false);
  });

  it('copies what it keeps, so a reused chunk buffer does not corrupt a message', () => {
    const d = new MllpDecoder();
    const chunk = bytes([VT], 'MSH|abc');
    d.push(chunk);
    chunk.fill(0x41);
    expect(messages(d.push(bytes([FS, CR])))).toEqual(['MSH|abc']);
  });

  it('gives back exactly the framed messages however the stream is chunked', () => {
    const body = fc.string({ unit: 'grapheme', maxLength: 60 }).map((s) => `MSH|${s.replace(/[\u000b\u001c]/g, '')}`);
    fc.assert(fc.property(fc.array(body, { maxLength: 6 }), fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1 }), (bodies, sizes) => {
      const stream = Buffer.concat(bodies.map((b) => encodeMllp(b)));
      const d = new MllpDecoder();
      const out: MllpEvent[] = [];
      for (let pos = 0, i = 0; pos < stream.length; i++) {
        const size = sizes[i % sizes.length]!;
        out.push(...d.push(stream.subarray(pos, pos + size)));
        pos += size;
      }
      expect(messages(out)).toEqual(bodies);
      expect(errors(out)).toEqual([]);
    }));
  });
});
