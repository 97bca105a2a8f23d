import { describe, expect, it } from 'vitest';
import { get, mean, only } from './helpers.ts';

const DAY = 86_400_000;
const ms = (s: unknown): number => Date.parse(String(s));

describe('heart-failure decompensation', () => {
  const c = only('hf_decompensation');
  const events = c.cohort.truth.filter((t) => t.scenario === 'hf_decompensation');

  it('is injected with an admission time and published-range parameters', () => {
    expect(events.length).toBeGreaterThan(5);
    for (const e of events) {
      expect(e.kind).toBe('hf_decompensation');
      expect(e.benign).toBe(false);
      expect(ms(e.params.admission)).toBeGreaterThan(ms(e.onset));
      expect(Number(e.params.declineDays)).toBeGreaterThanOrEqual(14);
      expect(Number(e.params.declineDays)).toBeLessThanOrEqual(28);
    }
  });

  it('drops thoracic impedance 8-18 % from baseline before admission, with the other signs', () => {
    const rises: Record<string, number[]> = { respiratory_rate: [], night_heart_rate: [], activity: [], hrv_sdaam: [] };
    for (const e of events) {
      const onset = ms(e.onset);
      const admission = ms(e.params.admission);
      const before = (metric: string, from: number, to: number): number[] =>
        get(c, e.device, metric).filter((s) => s.at >= from && s.at < to).map((s) => s.value);
      const baseImp = mean(before('thoracic_impedance', onset - 14 * DAY, onset));
      const trough = mean(before('thoracic_impedance', admission - 3 * DAY, admission));
      const dropPct = (1 - trough / baseImp) * 100;
      expect(dropPct, e.patientId).toBeGreaterThanOrEqual(8);
      expect(dropPct, e.patientId).toBeLessThanOrEqual(18);
      const rise = (m: string): number =>
        mean(before(m, admission - 3 * DAY, admission)) - mean(before(m, onset - 14 * DAY, onset));
      for (const m of Object.keys(rises)) rises[m]?.push(rise(m));
    }
    // Per patient the day-to-day noise can hide part of a sign; across patients it cannot.
    expect(Math.min(...(rises.respiratory_rate ?? []))).toBeGreaterThan(0.5);
    expect(mean(rises.respiratory_rate ?? [])).toBeGreaterThan(1.3);
    expect(mean(rises.night_heart_rate ?? [])).toBeGreaterThan(4);
    expect(Math.max(...(rises.activity ?? []))).toBeLessThan(0);
    expect(mean(rises.hrv_sdaam ?? [])).toBeLessThan(-10);
  });

  it('recovers after the admission', () => {
    for (const e of events) {
      const end = ms(e.end);
      const onset = ms(e.onset);
      const imp = get(c, e.device, 'thoracic_impedance');
      const base = mean(imp.filter((s) => s.at >= onset - 14 * DAY && s.at < onset).map((s) => s.value));
      const after = imp.filter((s) => s.at >= end && s.at < end + 7 * DAY).map((s) => s.value);
      if (after.length > 0) expect(Math.abs(mean(after) / base - 1)).toBeLessThan(0.05);
    }
  });
});

describe('AF', () => {
  it('onset: burden rises past 6 h a day and stays rate-controlled', () => {
    const c = only('af_onset');
    const events = c.cohort.truth.filter((t) => t.scenario === 'af_onset');
    expect(events.length).toBeGreaterThan(5);
    for (const e of events) {
      const burden = get(c, e.device, 'af_burden').filter((s) => s.at >= ms(e.onset) && s.at < ms(e.end));
      expect(Math.max(...burden.map((s) => s.value))).toBeGreaterThanOrEqual(6);
      const firstWeek = burden.filter((s) => s.at < ms(e.onset) + 3 * DAY).map((s) => s.value);
      if (firstWeek.length > 0) expect(Math.max(...firstWeek)).toBeLessThan(6);
      const rate = get(c, e.device, 'af_ventricular_rate').filter((s) => s.at >= ms(e.onset) && s.at < ms(e.end));
      expect(Math.max(...rate.map((s) => s.value))).toBeLessThan(110);
    }
  });

  it('fast ventricular rate: >= 110 /min on days with >= 1 h of AF', () => {
    const c = only('af_fast_rate');
    const events = c.cohort.truth.filter((t) => t.scenario === 'af_fast_rate');
    expect(events.length).toBeGreaterThan(5);
    for (const e of events) {
      const inside = (m: string): number[] =>
        get(c, e.device, m).filter((s) => s.at >= ms(e.onset) && s.at < ms(e.end)).map((s) => s.value);
      const rates = inside('af_ventricular_rate');
      expect(rates.length).toBeGreaterThanOrEqual(2);
      expect(Math.min(...rates)).toBeGreaterThanOrEqual(110);
      expect(Math.min(...inside('af_burden'))).toBeGreaterThanOrEqual(1);
      expect(Math.max(...inside('af_burden'))).toBeLessThan(6);
    }
  });
});

describe('ventricular arrhythmia', () => {
  it('sends VT/VF episodes with ATP and shocks at the episode times, on ICD and CRT-D only', () => {
    const c = only('ventricular_arrhythmia', 60);
    const events = c.cohort.truth.filter((t) => t.kind === 'ventricular_arrhythmia');
    expect(events.length).toBeGreaterThan(5);
    for (const e of events) {
      const p = c.cohort.patients.find((x) => x.id === e.patientId);
      expect(['icd', 'crt_d']).toContain(p?.type);
      const episodes = e.params.episodes as Array<{ at: string; type: string; atp: number; shocks: number }>;
      for (const ep of episodes) {
        const t = ms(ep.at);
        const metric = ep.type === 'vt' ? 'vt_episodes' : 'vf_episodes';
        const hit = get(c, e.device, metric).find((s) => s.value > 0 && s.at >= t && s.at <= t + 15 * 60_000);
        expect(hit, `${e.patientId} ${ep.at}`).toBeDefined();
        const shocks = get(c, e.device, 'shocks_delivered').find((s) => s.at === hit?.at);
        expect(shocks?.value).toBe(ep.shocks);
      }
    }
    const shocked = c.cohort.truth.filter((t) => t.kind === 'shock_delivered');
    expect(shocked.length).toBeGreaterThan(0);
    for (const s of shocked) {
      const shocks = get(c, s.device, 'shocks_delivered').filter((x) => x.value > 0);
      expect(shocks[0]?.at).toBeGreaterThanOrEqual(ms(s.onset));
    }
  });
});
