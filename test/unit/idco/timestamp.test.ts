import { describe, expect, it } from 'vitest';
import { formatHl7Time, parseHl7Time, toRfc3339 } from '../../../src/ingest/idco/timestamp.ts';

const iso = (text: string, offset = 0): string | undefined => {
  const t = parseHl7Time(text, offset);
  return t === undefined ? undefined : toRfc3339(t.ms);
};

describe('parseHl7Time', () => {
  it.each([
    ['2010', '2010-01-01T00:00:00Z'],
    ['201003', '2010-03-01T00:00:00Z'],
    ['20100322', '2010-03-22T00:00:00Z'],
    ['2010032210', '2010-03-22T10:00:00Z'],
    ['201003221010', '2010-03-22T10:10:00Z'],
    ['20100322101007', '2010-03-22T10:10:07Z'],
    ['20100322101007.5', '2010-03-22T10:10:07.500Z'],
    ['20100322101007.1234', '2010-03-22T10:10:07.123Z'],
  ])('reads %s without offset as UTC by default', (text, expected) => {
    expect(iso(text)).toBe(expected);
  });

  it('applies an explicit offset', () => {
    expect(iso('20260304020000+0100')).toBe('2026-03-04T01:00:00Z');
    expect(iso('20260110091500-0500')).toBe('2026-01-10T14:15:00Z');
    expect(iso('202603040200+0530')).toBe('2026-03-03T20:30:00Z');
    expect(parseHl7Time('20260304020000+0100')).toMatchObject({ explicitOffset: true, offsetMinutes: 60 });
  });

  it('reads a time without offset in the given default offset, and an explicit one wins', () => {
    expect(iso('20260304020000', 120)).toBe('2026-03-04T00:00:00Z');
    expect(iso('20260304020000-0000', 120)).toBe('2026-03-04T02:00:00Z');
    expect(parseHl7Time('20260304020000', 120)).toMatchObject({ explicitOffset: false, offsetMinutes: 120 });
  });

  it.each([
    '', 'yesterday', '201', '2010032', '20101301', '20100230', '20100431', '20210229',
    '20100322251000', '20100322106000', '20100322101060', '20100322101007+2500',
    '20100322101007+0160', '20100322101007Z', '2010-03-22T10:10:07Z', '20100322101007.12345',
  ])('rejects %j', (text) => {
    expect(parseHl7Time(text)).toBeUndefined();
  });

  it('accepts 29 February of a leap year and surrounding whitespace', () => {
    expect(iso(' 20240229 ')).toBe('2024-02-29T00:00:00Z');
  });

  it('keeps years below 100 as written', () => {
    expect(iso('00500101')).toBe('0050-01-01T00:00:00Z');
  });
});

describe('formatHl7Time', () => {
  it('writes UTC with an explicit +0000', () => {
    expect(formatHl7Time(Date.UTC(2026, 2, 4, 2, 5, 9))).toBe('20260304020509+0000');
  });

  it('round-trips through parseHl7Time', () => {
    const ms = Date.UTC(2031, 11, 31, 23, 59, 58);
    expect(parseHl7Time(formatHl7Time(ms))?.ms).toBe(ms);
  });
});
