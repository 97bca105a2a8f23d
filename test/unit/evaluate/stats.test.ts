// The interval and quantiles of the evaluation against values worked out by hand or published.
import { describe, expect, it } from 'vitest';
import { median, quantile, quartiles, wilson } from '../../../simulators/evaluate/stats.ts';

describe('wilson', () => {
  it('matches known 95 % intervals', () => {
    const [lo, hi] = wilson(8, 10);
    expect(lo).toBeCloseTo(0.4902, 4);
    expect(hi).toBeCloseTo(0.9433, 4);
    // Newcombe (1998), table I: 81/263 → 0.2553–0.3662.
    const [a, b] = wilson(81, 263);
    expect(a).toBeCloseTo(0.2553, 4);
    expect(b).toBeCloseTo(0.3662, 4);
  });

  it('does not collapse at 0/n or n/n and stays in [0, 1]', () => {
    const [lo0, hi0] = wilson(0, 10);
    expect(lo0).toBe(0);
    expect(hi0).toBeCloseTo(0.2775, 4);
    const [lo1, hi1] = wilson(10, 10);
    expect(lo1).toBeCloseTo(0.7225, 4);
    expect(hi1).toBe(1);
  });

  it('is NaN without trials', () => {
    expect(wilson(0, 0).every(Number.isNaN)).toBe(true);
  });
});

describe('quantiles', () => {
  it('interpolate between order statistics (type 7), whatever the input order', () => {
    expect(quartiles([4, 1, 3, 2])).toEqual({ p25: 1.75, median: 2.5, p75: 3.25 });
    expect(quartiles([5, 1, 3, 2, 4])).toEqual({ p25: 2, median: 3, p75: 4 });
    expect(quantile([7], 0.25)).toBe(7);
  });

  it('median: odd, even and empty', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
    expect(Object.values(quartiles([])).every(Number.isNaN)).toBe(true);
  });
});
