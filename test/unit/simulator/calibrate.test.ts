import { describe, expect, it } from 'vitest';
import { crossingDays, fluidIndexSeries, OPTIVOL } from '../../../simulators/calibrate/optivol.ts';
import { dailyCriteria, highDays, monthlyEvaluations, type PartnersDay } from '../../../simulators/calibrate/partners.ts';

const series = (...parts: Array<[value: number, days: number]>): number[] =>
  parts.flatMap(([v, n]) => Array.from({ length: n }, () => v));

describe('plain OptiVol fluid index', () => {
  const start = OPTIVOL.collectionDelayDays + OPTIVOL.initDays;

  it('collects nothing for 34 days, then takes the mean of the first days as reference', () => {
    const idx = fluidIndexSeries(series([70, start + 5]), 0);
    expect(Number.isNaN(idx[0] as number)).toBe(true);
    expect(Number.isNaN(idx[33] as number)).toBe(true);
    expect(idx[34]).toBe(0);
    expect(idx[start + 4]).toBe(0);
  });

  it('adds each day the shortfall from a reference that follows slowly downwards', () => {
    // A 5 Ohm step fall: the reference drops 0.125 Ohm a day, so day k adds 5 - 0.125 k.
    const idx = fluidIndexSeries(series([70, start], [65, 20]), 0);
    expect(idx[start]).toBeCloseTo(5, 9);
    expect(idx[start + 1]).toBeCloseTo(5 + 4.875, 9);
    expect(idx[start + 2]).toBeCloseTo(5 + 4.875 + 4.75, 9);
    // n days: 5n - 0.125 n(n-1)/2. 14 days: 70 - 11.375 = 58.625; 15 days: 75 - 13.125 = 61.875.
    expect(idx[start + 13]).toBeCloseTo(58.625, 9);
    expect(idx[start + 14]).toBeCloseTo(61.875, 9);
    expect(crossingDays(idx)).toEqual([start + 14]);
  });

  it('resets to 0 once the daily value is back at or above the reference', () => {
    const idx = fluidIndexSeries(series([70, start], [65, 3], [70, 1], [66, 1]), 0);
    expect(idx[start + 2]).toBeGreaterThan(0);
    expect(idx[start + 3]).toBe(0);
    // The reference had fallen to 69.625 and climbs back by min(0.5, 70 - 69.625) to 70.
    expect(idx[start + 4]).toBeCloseTo(4, 9);
  });

  it('skips days without a reading and counts a crossing once per excursion', () => {
    const z = series([70, start], [60, 8], [72, 3], [60, 8]);
    z[start + 2] = Number.NaN;
    const idx = fluidIndexSeries(z, 0);
    expect(Number.isNaN(idx[start + 2] as number)).toBe(true);
    expect(crossingDays(idx).length).toBe(2);
  });
});

const quiet: PartnersDay = {
  reported: true, fluidIndex: 0, afBurden: 0, afRate: Number.NaN, activity: 200, nightHr: 65, hrv: 100,
  crtPct: 98, shocks: 0,
};
const days = (n: number, over: Partial<PartnersDay> = {}): PartnersDay[] => Array.from({ length: n }, () => ({ ...quiet, ...over }));

describe('PARTNERS-HF criteria', () => {
  it('is quiet on ordinary days', () => {
    expect(dailyCriteria(days(10)).every((c) => c.size === 0)).toBe(true);
  });

  it('needs seven days of low activity, high night heart rate or low HRV', () => {
    const six = dailyCriteria(days(6, { activity: 50 }));
    expect(six.some((c) => c.has('activity'))).toBe(false);
    const seven = dailyCriteria(days(7, { activity: 50, nightHr: 90 }));
    expect([...(seven[6] ?? [])].sort()).toEqual(['activity', 'autonomic']);
    expect(dailyCriteria(days(7, { hrv: 55 }))[6]?.has('autonomic')).toBe(true);
  });

  it('counts AF burden, fast AF only with a whole day of AF, CRT loss on 5 of 7 days and shocks', () => {
    expect([...(dailyCriteria(days(1, { afBurden: 6 }))[0] ?? [])]).toEqual(['afBurden']);
    expect(dailyCriteria(days(1, { afBurden: 20, afRate: 95 }))[0]?.has('afRate')).toBe(false);
    expect(dailyCriteria(days(1, { afBurden: 24, afRate: 90 }))[0]?.has('afRate')).toBe(true);
    const crt = [...days(3, { crtPct: 85 }), ...days(2), ...days(2, { crtPct: 85 })];
    expect(dailyCriteria(crt).map((c) => c.has('therapy'))).toEqual([false, false, false, false, false, false, true]);
    expect(dailyCriteria(days(1, { shocks: 1 }))[0]?.has('therapy')).toBe(true);
  });

  it('is High with two criteria on a day or a fluid index of 100', () => {
    expect(highDays(days(1, { fluidIndex: 60 }))).toEqual([false]);
    expect(highDays(days(1, { fluidIndex: 60, afBurden: 8 }))).toEqual([true]);
    expect(highDays(days(1, { fluidIndex: 100 }))).toEqual([true]);
  });

  it('rates a 30-day period High when any of its days was', () => {
    const run = [...days(45), ...days(1, { fluidIndex: 120 }), ...days(44)];
    expect(monthlyEvaluations(run, 0)).toEqual({ months: 3, high: 1 });
    expect(monthlyEvaluations(run, 10)).toEqual({ months: 2, high: 1 });
  });
});
