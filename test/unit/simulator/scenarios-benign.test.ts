import { describe, expect, it } from 'vitest';
import { get, only } from './helpers.ts';

const DAY = 86_400_000;
const ms = (s: unknown): number => Date.parse(String(s));

describe('benign look-alikes', () => {
  it('brief AF run: one day, under 6 h, ventricular rate under 110', () => {
    const c = only('brief_af_run');
    const events = c.cohort.truth.filter((t) => t.scenario === 'brief_af_run');
    expect(events.length).toBeGreaterThan(5);
    for (const e of events) {
      expect(e.benign).toBe(true);
      expect(e.kind).toBe('af_burden');
      const burden = get(c, e.device, 'af_burden');
      // Background AF in some patients stays under 0.1 h; the run is the only longer day.
      const runDays = burden.filter((s) => s.value > 0.1);
      expect(runDays.length).toBeLessThanOrEqual(1);
      for (const s of runDays) {
        expect(s.value).toBeLessThan(6);
        expect(s.at).toBeGreaterThanOrEqual(ms(e.onset));
        expect(s.at).toBeLessThan(ms(e.end));
      }
      expect(Math.max(...get(c, e.device, 'af_ventricular_rate').map((s) => s.value))).toBeLessThan(110);
    }
  });

  it('noisy night: one night off, inside typical ranges, back to normal the next', () => {
    const c = only('noisy_night');
    const events = c.cohort.truth.filter((t) => t.scenario === 'noisy_night');
    expect(events.length).toBeGreaterThan(5);
    for (const e of events) {
      expect(e.benign).toBe(true);
      const night = (m: string) => get(c, e.device, m).find((s) => s.at >= ms(e.onset) && s.at < ms(e.end));
      const hr = night('night_heart_rate');
      const rr = night('respiratory_rate');
      if (hr) expect(hr.value).toBeLessThanOrEqual(82);
      if (rr) expect(rr.value).toBeLessThanOrEqual(20.5);
      expect(ms(e.end) - ms(e.onset)).toBe(DAY);
    }
  });

  it('low-activity week: seven days, never under an hour a day, nothing else moves', () => {
    const c = only('low_activity_week');
    const events = c.cohort.truth.filter((t) => t.scenario === 'low_activity_week');
    expect(events.length).toBeGreaterThan(5);
    for (const e of events) {
      expect(e.benign).toBe(true);
      const inWeek = (m: string) => get(c, e.device, m).filter((s) => s.at >= ms(e.onset) && s.at < ms(e.end)).map((s) => s.value);
      const act = inWeek('activity');
      expect(Math.min(...act)).toBeGreaterThanOrEqual(60);
      expect(ms(e.end) - ms(e.onset)).toBe(7 * DAY);
      for (const v of inWeek('night_heart_rate')) expect(v).toBeLessThanOrEqual(85);
    }
  });
});
