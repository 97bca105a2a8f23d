import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { pgSafeJson, pgSafeText } from '../../../src/store/text.ts';

describe('text bound for PostgreSQL', () => {
  it('replaces NUL and lone surrogates', () => {
    expect(pgSafeText('a\u0000b\ud800c')).toBe('a\uFFFDb\uFFFDc');
  });
  it('makes JSON with NUL in keys and values valid for jsonb', () => {
    const text = pgSafeJson({ 'k\u0000': 'v\u0000', n: [1, '\udfff'] });
    expect(text).not.toMatch(/\\u0000|\\udfff/);
    expect(JSON.parse(text)).toEqual({ 'k\uFFFD': 'v\uFFFD', n: [1, '\uFFFD'] });
  });
  it('keeps an escaped backslash before u0000 intact', () => {
    expect(JSON.parse(pgSafeJson({ a: '\\u0000' }))).toEqual({ a: '\\u0000' });
  });
  it('never yields an escaped NUL or lone surrogate', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: 'binary' }), (v, s) => {
        const text = pgSafeJson({ [s]: v, s });
        expect(text).not.toMatch(/(?<!\\)(\\\\)*\\u0000/);
        JSON.parse(text);
      }),
    );
  });
});
