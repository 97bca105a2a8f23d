import { describe, expect, it } from 'vitest';
import { crossingDays, fluidIndexSeries, OPTIVOL } from '../../../simulators/calibrate/optivol.ts';
import { SERIES_METRICS, type DeviceSeries } from '../../../simulators/calibrate/collect.ts';
import { computeLeads, type LeadRow } from '../../../simulators/calibrate/lead.ts';
import type { TruthEvent } from '../../../simulators/types.ts';
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

describe('how early an admission can be told (lead.ts)', () => {
  const DAYS = 240;
  const START = Date.UTC(2026, 0, 1);
  const iso = (day: number): string => new Date(START + day * 86_400_000).toISOString();
  const admission = 220;
  const onset = 210;

  function device(impedance: (day: number) => number): DeviceSeries {
    const values = Object.fromEntries(SERIES_METRICS.map((m) => [m, new Float64Array(DAYS).fill(Number.NaN)])) as DeviceSeries['values'];
    for (let d = 0; d < DAYS; d++) values.thoracic_impedance[d] = impedance(d);
    const hfWindow = new Uint8Array(DAYS);
    hfWindow.fill(1, onset - 14, admission + 7);
    return {
      device: 'dev-1', type: 'crt_d', hf: true, crt: true, tachy: true, firstDay: 0, nightly: new Uint8Array(DAYS).fill(1),
      shocks: new Uint16Array(DAYS), nsvt: 0, values, hfWindow,
    };
  }
  const truth = (signals?: Record<string, { onsetDaysBeforeAdmission: number; size: number }>): TruthEvent => ({
    patientId: 'p-1', device: 'dev-1', site: 's', kind: 'hf_decompensation', scenario: 'hf_decompensation', benign: false,
    onset: iso(onset), end: iso(admission + 7), params: { admission: iso(admission), ...(signals ? { signals } : {}) },
  });

  it("scales each admission's noise-free signal by the patient's own spread at each lead", () => {
    // 70 +/- 1 Ohm: SD 1. A 10 % fall over 10 days is 7 Ohm, 7 SDs, the day before admission.
    const s = device((d) => (d % 2 ? 71 : 69));
    const f = computeLeads([truth({ thoracicImpedanceFallPct: { onsetDaysBeforeAdmission: 10, size: 10 } })], [s], { days: DAYS, start: START });
    expect(f.events).toBe(1);
    expect(f.withSignals).toBe(1);
    const at = (lead: number): LeadRow => f.rows.find((r) => r.lead === lead) as LeadRow;
    expect(at(1).snrMedian).toBeCloseTo(7, 2);
    expect(at(1).impedanceFallPct).toBeCloseTo(10, 6);
    expect(at(14).snrMedian).toBe(0);
    // 3 days before: smoothstep of 7/9 of the way is 0.8738.
    expect(at(3).snrMedian).toBeCloseTo(7 * (7 / 9) ** 2 * (3 - (2 * 7) / 9), 2);
    expect([at(1).shareSnr3, at(14).shareSnr2]).toEqual([1, 0]);
  });

  it('times the plain OptiVol index on the readings, and counts admissions without per-signal truth', () => {
    // A 10 Ohm step at the onset: the index crosses 60 on the 7th day of the step.
    const s = device((d) => (d >= onset ? 60 : 70));
    const f = computeLeads([truth()], [s], { days: DAYS, start: START });
    const crossing = crossingDays(fluidIndexSeries(s.values.thoracic_impedance, 0))[0] as number;
    expect(crossing).toBeGreaterThan(onset);
    expect(f.optivol).toEqual({ detected: 1, warning: [admission - crossing, admission - crossing, admission - crossing] });
    expect(f.withSignals).toBe(0);
    expect(f.rows.every((r) => Number.isNaN(r.snrMedian))).toBe(true);
  });
});
