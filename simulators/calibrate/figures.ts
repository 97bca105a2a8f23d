// The calibration figures of one generated cohort, computed from its readings alone.
import type { Cohort } from '../cohort.ts';
import type { ScenarioName } from '../types.ts';
import type { DeviceSeries, SeriesMetric } from './collect.ts';
import { crossingDays, fluidIndexSeries } from './optivol.ts';
import { dailyCriteria, monthlyEvaluations, type Criterion, type PartnersDay } from './partners.ts';

export const WANDER_METRICS: readonly SeriesMetric[] = [
  'thoracic_impedance', 'respiratory_rate', 'night_heart_rate', 'activity', 'hrv_sdaam',
];
export const CRITERIA: readonly Criterion[] = ['fluid', 'afBurden', 'afRate', 'activity', 'autonomic', 'therapy'];
export const CONFOUNDERS: readonly ScenarioName[] = [
  'respiratory_infection', 'diuretic_change', 'home_congestion', 'noisy_night', 'low_activity_week',
];

export interface Figures {
  readonly hfPatients: number;
  readonly optivolCrossingsPerEventFreeYear: number;
  readonly partnersHighMonthlyShare: number;
  readonly hfEventsPerHfPatientYear: number;
  readonly withinPatientSd: Record<string, number>;
  readonly lag1Autocorrelation: Record<string, number>;
  readonly missedNightShare: number;
  /** Share of HF-monitored patients meeting each criterion on at least one day. */
  readonly criterionShare: Record<Criterion, number>;
  readonly nsvtPerIcdPatientYear: number;
  readonly confounderCounts: Record<string, number>;
}

const median = (xs: number[]): number => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

/** SD of the reported values and lag-1 autocorrelation over pairs of reported consecutive days. */
export function sdAndLag1(x: ArrayLike<number>): { sd: number; r1: number } {
  const vals: number[] = [];
  for (let i = 0; i < x.length; i++) if (!Number.isNaN(x[i] as number)) vals.push(x[i] as number);
  if (vals.length < 10) return { sd: Number.NaN, r1: Number.NaN };
  const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
  const variance = vals.reduce((a, b) => a + (b - mean) ** 2, 0) / vals.length;
  let cov = 0;
  let n = 0;
  for (let i = 1; i < x.length; i++) {
    const a = x[i - 1] as number;
    const b = x[i] as number;
    if (Number.isNaN(a) || Number.isNaN(b)) continue;
    cov += (a - mean) * (b - mean);
    n++;
  }
  return { sd: Math.sqrt(variance), r1: variance > 0 && n > 0 ? cov / n / variance : Number.NaN };
}

function partnersDays(s: DeviceSeries, fluid: Float64Array): PartnersDay[] {
  const v = s.values;
  return Array.from(s.nightly, (rep, d) => ({
    reported: rep === 1,
    fluidIndex: fluid[d] ?? Number.NaN,
    afBurden: v.af_burden[d] ?? Number.NaN,
    afRate: v.af_ventricular_rate[d] ?? Number.NaN,
    activity: v.activity[d] ?? Number.NaN,
    nightHr: v.night_heart_rate[d] ?? Number.NaN,
    hrv: v.hrv_sdaam[d] ?? Number.NaN,
    crtPct: s.crt ? (v.crt_pacing_pct[d] ?? Number.NaN) : Number.NaN,
    shocks: s.shocks[d] ?? 0,
  }));
}

export function computeFigures(cohort: Cohort, series: readonly DeviceSeries[]): Figures {
  const days = cohort.options.days;
  let crossings = 0;
  let exposureDays = 0;
  let months = 0;
  let highMonths = 0;
  let hfPatients = 0;
  let hfDays = 0;
  let missed = 0;
  let possible = 0;
  let icdDays = 0;
  let nsvt = 0;
  const sds: Record<string, number[]> = {};
  const r1s: Record<string, number[]> = {};
  const met = Object.fromEntries(CRITERIA.map((c) => [c, 0])) as Record<Criterion, number>;
  for (const s of series) {
    if (s.firstDay >= days) continue;
    for (let d = s.firstDay; d < days; d++) if (!s.nightly[d]) missed++;
    possible += days - s.firstDay;
    if (s.tachy) {
      icdDays += days - s.firstDay;
      nsvt += s.nsvt;
    }
    for (const m of WANDER_METRICS) {
      const { sd, r1 } = sdAndLag1(s.values[m]);
      if (!Number.isNaN(sd)) (sds[m] ??= []).push(sd);
      if (!Number.isNaN(r1)) (r1s[m] ??= []).push(r1);
    }
    if (!s.hf) continue;
    hfPatients++;
    hfDays += days - s.firstDay;
    const fluid = fluidIndexSeries(s.values.thoracic_impedance, s.firstDay);
    for (const d of crossingDays(fluid)) if (!s.hfWindow[d]) crossings++;
    for (let d = 0; d < days; d++) if (!Number.isNaN(fluid[d] as number) && !s.hfWindow[d]) exposureDays++;
    const pd = partnersDays(s, fluid);
    const monthly = monthlyEvaluations(pd, s.firstDay);
    months += monthly.months;
    highMonths += monthly.high;
    const seen = new Set<Criterion>();
    for (const c of dailyCriteria(pd)) for (const x of c) seen.add(x);
    for (const c of seen) met[c]++;
  }
  const hfEvents = cohort.truth.filter((t) => t.scenario === 'hf_decompensation' && !t.benign).length;
  const counts: Record<string, number> = {};
  for (const name of CONFOUNDERS) counts[name] = cohort.truth.filter((t) => t.scenario === name).length;
  return {
    hfPatients,
    optivolCrossingsPerEventFreeYear: exposureDays > 0 ? crossings / (exposureDays / 365) : Number.NaN,
    partnersHighMonthlyShare: months > 0 ? highMonths / months : Number.NaN,
    hfEventsPerHfPatientYear: hfDays > 0 ? hfEvents / (hfDays / 365) : Number.NaN,
    withinPatientSd: Object.fromEntries(WANDER_METRICS.map((m) => [m, median(sds[m] ?? [])])),
    lag1Autocorrelation: Object.fromEntries(WANDER_METRICS.map((m) => [m, median(r1s[m] ?? [])])),
    missedNightShare: possible > 0 ? missed / possible : Number.NaN,
    criterionShare: Object.fromEntries(CRITERIA.map((c) => [c, hfPatients > 0 ? met[c] / hfPatients : 0])) as Record<Criterion, number>,
    nsvtPerIcdPatientYear: icdDays > 0 ? nsvt / (icdDays / 365) : Number.NaN,
    confounderCounts: counts,
  };
}
