import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ENCODING, escapeHl7, unescapeHl7, type Encoding } from '../../../src/ingest/idco/escape.ts';

const enc = DEFAULT_ENCODING;

describe('unescapeHl7', () => {
  it.each([
    ['a\\F\\b', 'a|b'],
    ['a\\S\\b', 'a^b'],
    ['a\\T\\b', 'a&b'],
    ['a\\R\\b', 'a~b'],
    ['a\\E\\b', 'a\\b'],
    ['\\X41\\', 'A'],
    ['line\\X0D0A\\next', 'line\r\nnext'],
    ['caf\\XC3A9\\', 'café'],
    ['one\\.br\\two', 'one\ntwo'],
    ['\\H\\bold\\N\\', 'bold'],
  ])('decodes %j to %j', (text, expected) => {
    expect(unescapeHl7(text, enc)).toBe(expected);
  });

  it('keeps unknown and malformed sequences literally', () => {
    expect(unescapeHl7('\\Z99\\', enc)).toBe('\\Z99\\');
    expect(unescapeHl7('\\Cxxyy\\', enc)).toBe('\\Cxxyy\\');
    expect(unescapeHl7('\\X4\\', enc)).toBe('\\X4\\');
    expect(unescapeHl7('\\XZZ\\', enc)).toBe('\\XZZ\\');
    expect(unescapeHl7('trailing \\', enc)).toBe('trailing \\');
    expect(unescapeHl7('C:\\dir\\F\\', enc)).toBe('C:\\dir|');
  });

  it('uses the escape character of the message', () => {
    const custom: Encoding = { field: '#', component: '*', repetition: '@', escape: '!', subcomponent: '%', truncation: '' };
    expect(unescapeHl7('a!F!b!S!c!E!', custom)).toBe('a#b*c!');
    expect(unescapeHl7('a\\F\\b', custom)).toBe('a\\F\\b');
  });

  it('decodes a long run of hex escapes in linear time', () => {
    const text = 'QUJD\\X000d\\'.repeat(20_000);
    const out = unescapeHl7(text, enc);
    expect(out.length).toBe(20_000 * 6);
    expect(out.startsWith('QUJD\u0000\r')).toBe(true);
  });
});

describe('escapeHl7', () => {
  it('escapes every delimiter and line breaks', () => {
    expect(escapeHl7('a|b^c~d&e\\f\rg', enc)).toBe('a\\F\\b\\S\\c\\R\\d\\T\\e\\E\\f\\X0D\\g');
  });

  it('round-trips any text through unescape', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (s) => {
      expect(unescapeHl7(escapeHl7(s, enc), enc)).toBe(s);
    }));
  });
});
