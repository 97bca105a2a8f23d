import { describe, expect, it } from 'vitest';
import { collect, get, mean, only, type Collected } from './helpers.ts';

const DAY = 86_400_000;
const ms = (s: unknown): number => Date.parse(String(s));

function eventsOf(c: Collected, scenario: string) {
  const events = c.cohort.truth.filter((t) => t.scenario === scenario);
  expect(events.length).toBeGreaterThan(2);
  return events;
}

describe('lead integrity', () => {
  it('conductor fracture: impedance jumps >= 50 % with oversensing on ICDs', () => {
    const c = only('lead_fracture');
    for (const e of eventsOf(c, 'lead_fracture')) {
      expect(e.kind).toBe('lead_integrity');
      const imp = get(c, e.device, 'rv_lead_impedance');
      const base = mean(imp.filter((s) => s.at < ms(e.onset)).slice(-30).map((s) => s.value));
      const after = imp.filter((s) => s.at >= ms(e.params.jump));
      expect(after.length).toBeGreaterThan(0);
      expect(Math.min(...after.map((s) => s.value)) / base).toBeGreaterThanOrEqual(1.5);
      if (e.params.oversensing) {
        const svv = get(c, e.device, 'short_vv_intervals').filter((s) => s.at >= ms(e.params.jump)).slice(0, 3);
        expect(svv.reduce((s, x) => s + x.value, 0)).toBeGreaterThanOrEqual(30);
      }
    }
  });

  it('insulation breach: impedance falls under 200 Ohm', () => {
    const c = only('insulation_breach');
    for (const e of eventsOf(c, 'insulation_breach')) {
      const imp = get(c, e.device, 'rv_lead_impedance');
      expect(Math.min(...imp.filter((s) => s.at < ms(e.onset)).map((s) => s.value))).toBeGreaterThan(250);
      const late = imp.filter((s) => s.at >= ms(e.onset) + 3 * DAY);
      expect(Math.max(...late.map((s) => s.value))).toBeLessThan(200);
    }
  });
});

describe('capture threshold', () => {
  it('rises to double its baseline or past 3.5 V', () => {
    const c = only('capture_threshold_rise');
    for (const e of eventsOf(c, 'capture_threshold_rise')) {
      const metric = `${String(e.params.lead)}_capture_threshold`;
      const s = get(c, e.device, metric);
      const base = mean(s.filter((x) => x.at < ms(e.onset)).slice(-30).map((x) => x.value));
      const after = s.filter((x) => x.at >= ms(e.params.reached)).map((x) => x.value);
      expect(after.every((v) => v >= 2 * base || v > 3.5)).toBe(true);
    }
  });
});

describe('battery', () => {
  const collapse = (xs: number[]): number[] => xs.filter((x, i) => i === 0 || x !== xs[i - 1]);

  it('goes middle of service -> ERI -> EOS with at least three months between', () => {
    const c = only('battery_eri', 30, 365);
    for (const e of eventsOf(c, 'battery_eri')) {
      const status = get(c, e.device, 'battery_status');
      const expected = e.params.eosWithinRun ? [2, 3, 4] : [2, 3];
      expect(collapse(status.map((s) => s.value))).toEqual(expected);
      const eri = status.find((s) => s.value === 3)?.at ?? 0;
      const eos = status.find((s) => s.value === 4)?.at;
      if (eos !== undefined) expect(eos - eri).toBeGreaterThanOrEqual(90 * DAY);
    }
  });

  it('rapid depletion loses >= 6 months of longevity within 30 days', () => {
    const c = only('battery_rapid_depletion', 30, 365);
    for (const e of eventsOf(c, 'battery_rapid_depletion')) {
      const lon = get(c, e.device, 'battery_longevity');
      let worst = 0;
      for (const a of lon) {
        const later = lon.filter((b) => b.at > a.at && b.at <= a.at + 30 * DAY);
        for (const b of later) worst = Math.max(worst, a.value - b.value);
      }
      expect(worst).toBeGreaterThanOrEqual(6);
      expect(get(c, e.device, 'battery_status').some((s) => s.value === 3)).toBe(true);
    }
  });

  it('does not fall fast for patients without a battery scenario', () => {
    const c = only('device_silent', 30, 365);
    for (const p of c.cohort.patients) {
      const lon = get(c, p.device, 'battery_longevity');
      const first = lon[0]?.value ?? 0;
      const last = lon[lon.length - 1]?.value ?? 0;
      expect(first - last).toBeLessThan(14);
      expect(Math.max(...get(c, p.device, 'battery_status').map((s) => s.value))).toBeLessThanOrEqual(2);
    }
  });
});

describe('CRT pacing loss', () => {
  it('is under 90 % on six days of seven, on CRT devices only', () => {
    const c = only('crt_pacing_loss', 60);
    for (const e of eventsOf(c, 'crt_pacing_loss')) {
      const p = c.cohort.patients.find((x) => x.id === e.patientId);
      expect(['crt_d', 'crt_p']).toContain(p?.type);
      const week = get(c, e.device, 'crt_pacing_pct').filter((s) => s.at >= ms(e.onset) && s.at < ms(e.onset) + 7 * DAY);
      // A lost night can take a day out of the week; of the days reported, one at most is >= 90 %.
      expect(week.length).toBeGreaterThanOrEqual(5);
      expect(week.filter((s) => s.value >= 90).length).toBeLessThanOrEqual(1);
      const before = get(c, e.device, 'crt_pacing_pct').filter((s) => s.at < ms(e.onset));
      expect(Math.min(...before.map((s) => s.value))).toBeGreaterThanOrEqual(90);
    }
  });
});

describe('device going silent', () => {
  it('sends nothing between onset and end while the others keep reporting', () => {
    const c = collect({ patients: 20, days: 120, seed: 4, scenarios: { device_silent: 0.25 } });
    const silent = eventsOf(c, 'device_silent');
    for (const e of silent) {
      const all = [...(c.series.get(e.device)?.values() ?? [])].flat();
      expect(all.filter((s) => s.at >= ms(e.onset) && s.at < ms(e.end))).toEqual([]);
      expect(all.some((s) => s.at < ms(e.onset))).toBe(true);
      expect(ms(e.end) - ms(e.onset)).toBeGreaterThanOrEqual(3 * DAY);
    }
    const others = c.cohort.patients.filter((p) => !silent.some((e) => e.device === p.device));
    expect(others.length).toBeGreaterThan(0);
    for (const e of silent) {
      for (const p of others) {
        const during = get(c, p.device, 'battery_status').filter((s) => s.at >= ms(e.onset) && s.at < ms(e.end));
        expect(during.length).toBeGreaterThan(0);
      }
    }
  });
});
