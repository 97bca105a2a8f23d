import { describe, expect, it } from 'vitest';
import { metricByName } from '../../../src/domain/vocabulary.ts';
import { createCohort } from '../../../simulators/cohort.ts';
import { NIGHTLY_METRICS, metricSet } from '../../../simulators/device-types.ts';
import { Rng } from '../../../simulators/prng.ts';
import { collect } from './helpers.ts';

const take = <T>(it: Iterable<T>, n: number): T[] => {
  const out: T[] = [];
  for (const x of it) {
    out.push(x);
    if (out.length >= n) break;
  }
  return out;
};

describe('seeded PRNG', () => {
  it('repeats itself for a seed and differs across seeds', () => {
    const a = new Rng('x');
    const b = new Rng('x');
    const c = new Rng('y');
    const sa = Array.from({ length: 50 }, () => a.next());
    expect(Array.from({ length: 50 }, () => b.next())).toEqual(sa);
    expect(Array.from({ length: 50 }, () => c.next())).not.toEqual(sa);
    expect(sa.every((x) => x >= 0 && x < 1)).toBe(true);
  }, 30_000);

  it('draws normals with the asked mean and spread', () => {
    const r = new Rng('n');
    const xs = Array.from({ length: 20_000 }, () => r.normal(10, 2));
    const m = xs.reduce((s, x) => s + x, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / xs.length);
    expect(m).toBeCloseTo(10, 1);
    expect(sd).toBeCloseTo(2, 1);
  }, 30_000);
});

describe('cohort generator', () => {
  it('gives identical patients, truth and readings for the same seed', () => {
    const a = createCohort({ patients: 30, days: 60, seed: 5 });
    const b = createCohort({ patients: 30, days: 60, seed: 5 });
    const c = createCohort({ patients: 30, days: 60, seed: 6 });
    expect(b.patients).toEqual(a.patients);
    expect(b.truth).toEqual(a.truth);
    expect(take(b.readings(), 5000)).toEqual(take(a.readings(), 5000));
    expect(take(a.readings(), 5000)).toEqual(take(a.readings(), 5000));
    expect(c.patients.map((p) => p.device)).not.toEqual(a.patients.map((p) => p.device));
  }, 30_000);

  it('mixes device types in the published proportions and gives each patient own baselines', () => {
    const { patients } = createCohort({ patients: 2000, days: 1, seed: 1 });
    const share = (t: string): number => patients.filter((p) => p.type === t).length / patients.length;
    expect(share('pacemaker')).toBeGreaterThan(0.55);
    expect(share('pacemaker')).toBeLessThan(0.64);
    expect(share('icd')).toBeGreaterThan(0.18);
    expect(share('crt_d')).toBeGreaterThan(0.12);
    expect(share('crt_p')).toBeGreaterThan(0.02);
    const imp = patients.map((p) => p.baselines.thoracicImpedance);
    // Clamping to physiological limits makes a few equal; the rest are each patient's own.
    expect(new Set(imp).size).toBeGreaterThan(0.9 * patients.length);
    expect(Math.max(...imp) - Math.min(...imp)).toBeGreaterThan(15);
    expect(new Set(patients.map((p) => p.device)).size).toBe(patients.length);
  }, 30_000);

  it('sends only values inside valid ranges, with contract-shaped ids and times', () => {
    const cohort = createCohort({ patients: 60, days: 120, seed: 9, hourlyHr: true });
    let n = 0;
    for (const r of cohort.readings()) {
      const def = metricByName(r.metric);
      if (!(r.value >= def.validMin && r.value <= def.validMax && Number.isFinite(r.value))) {
        throw new Error(`out of range: ${JSON.stringify(r)}`);
      }
      if (!/^[A-Za-z0-9._:-]{1,64}$/.test(r.device)) throw new Error(`bad device id ${r.device}`);
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(r.at)) throw new Error(`bad time ${r.at}`);
      n++;
    }
    expect(n).toBeGreaterThan(60 * 120 * 30);
  }, 30_000);

  it('keeps seq strictly increasing per device, apart from exact repeated uploads', () => {
    const cohort = createCohort({ patients: 60, days: 90, seed: 3, hourlyHr: true, noise: { duplicateRate: 0.05, unplugRate: 0.05 } });
    const last = new Map<string, number>();
    let duplicates = 0;
    let delayed = 0;
    let previousSentAt = -Infinity;
    const problems: string[] = [];
    for (const t of cohort.transmissions()) {
      if (t.sentAt < previousSentAt) problems.push(`out of arrival order: ${t.device} ${t.sentAt}`);
      previousSentAt = t.sentAt;
      if (t.sentAt > t.atMs) delayed++;
      if (t.duplicate) {
        duplicates++;
        continue;
      }
      for (const r of t.readings) {
        if (r.seq <= (last.get(r.device) ?? -1)) problems.push(`seq ${r.seq} after ${last.get(r.device)} on ${r.device}`);
        last.set(r.device, r.seq);
      }
    }
    expect(problems.slice(0, 5)).toEqual([]);
    expect(duplicates).toBeGreaterThan(0);
    expect(delayed).toBeGreaterThan(0);
  }, 30_000);

  it('reports for each type exactly its metrics', () => {
    const { cohort, series } = collect({ patients: 120, days: 40, seed: 4 });
    for (const p of cohort.patients) {
      const seen = new Set(series.get(p.device)?.keys());
      const allowed = metricSet(p.type, p.vendor);
      for (const m of seen) expect(allowed.has(m), `${p.type} ${m}`).toBe(true);
      for (const m of NIGHTLY_METRICS[p.type]) expect(seen.has(m), `${p.type} lacks ${m}`).toBe(true);
      if (p.type === 'pacemaker' || p.type === 'crt_p') {
        for (const m of ['shock_impedance', 'charge_time', 'shocks_delivered', 'vt_episodes']) expect(seen.has(m)).toBe(false);
      }
      if (p.type === 'pacemaker' || p.type === 'icd') {
        for (const m of ['crt_pacing_pct', 'lv_lead_impedance', 'lv_capture_threshold']) expect(seen.has(m)).toBe(false);
      }
      expect(seen.has('fluid_index')).toBe(p.vendor === 'MDT' && p.type !== 'pacemaker');
    }
  }, 30_000);

  it('has quieter weekends for a patient who rests at weekends', () => {
    const { cohort, series } = collect({ patients: 200, days: 84, seed: 8, scenarios: {} });
    const p = cohort.patients.find((x) => x.baselines.weekendActivityFactor < 0.85);
    expect(p).toBeDefined();
    const act = series.get(p?.device ?? '')?.get('activity') ?? [];
    const isWeekend = (ms: number): boolean => [0, 6].includes(new Date(ms).getUTCDay());
    const avg = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(avg(act.filter((s) => isWeekend(s.at)).map((s) => s.value)))
      .toBeLessThan(avg(act.filter((s) => !isWeekend(s.at)).map((s) => s.value)));
  }, 30_000);

  it('loses some nights without ever leaving a 48 h hole in a device that is not silent', () => {
    const { cohort, series } = collect({ patients: 100, days: 120, seed: 2, scenarios: {}, noise: { missingNightRate: 0.05 } });
    let missing = 0;
    for (const p of cohort.patients) {
      const nights = series.get(p.device)?.get('battery_status') ?? [];
      missing += 120 - nights.length;
      for (let i = 1; i < nights.length; i++) {
        expect((nights[i]?.at ?? 0) - (nights[i - 1]?.at ?? 0)).toBeLessThan(48 * 3600_000);
      }
    }
    expect(missing).toBeGreaterThan(100);
  }, 30_000);
});
