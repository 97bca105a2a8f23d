import { describe, expect, it } from 'vitest';
import { Device, wobble } from './stream.ts';

describe('capture threshold', () => {
  it('alerts above 3.5 V from the first reading, not at 3.5 V', () => {
    expect(new Device().send(0, 'rv_capture_threshold', 3.5)).toEqual([]);
    expect(new Device().send(0, 'lv_capture_threshold', 3.51)).toMatchObject([{ kind: 'capture_threshold', priority: 'medium' }]);
  });

  it('alerts on a doubling against the 30-day baseline, not just under it', () => {
    const d = new Device();
    d.nights(0, 40, { ra_capture_threshold: (day) => 1 + wobble(day, 0.05) });
    const mean = d.state.baselines.ra_capture_threshold?.mean ?? 0;
    expect(d.send(40, 'ra_capture_threshold', mean * 1.98)).toEqual([]);
    expect(d.send(41, 'ra_capture_threshold', mean * 2.01)).toMatchObject([{ kind: 'capture_threshold', evidence: { lead: 'RA' } }]);
  });

  it('keeps the doubling rule silent while learning', () => {
    const d = new Device();
    d.nights(0, 5, { rv_capture_threshold: 1 });
    expect(d.send(5, 'rv_capture_threshold', 2.5)).toEqual([]);
  });
});

describe('AF burden and fast ventricular rate in AF', () => {
  it('alerts on af_burden >= 6 h, not 5.9 h', () => {
    expect(new Device().send(0, 'af_burden', 5.9)).toEqual([]);
    expect(new Device().send(0, 'af_burden', 6)).toMatchObject([{ kind: 'af_burden', priority: 'medium' }]);
  });

  it('alerts on a rate >= 110/min on a day with >= 1 h of AF, whichever arrives first', () => {
    const a = new Device();
    a.send(0, 'af_burden', 1);
    expect(a.send(0, 'af_ventricular_rate', 110)).toMatchObject([{ kind: 'af_fast_ventricular_rate' }]);
    const b = new Device();
    b.send(0, 'af_ventricular_rate', 130);
    expect(b.send(0, 'af_burden', 2)).toMatchObject([{ kind: 'af_fast_ventricular_rate' }]);
  });

  it('stays quiet at 109/min, with under 1 h of AF, or with the burden of another day', () => {
    const a = new Device();
    a.send(0, 'af_burden', 3);
    expect(a.send(0, 'af_ventricular_rate', 109)).toEqual([]);
    const b = new Device();
    b.send(0, 'af_burden', 0.9);
    expect(b.send(0, 'af_ventricular_rate', 140)).toEqual([]);
    const c = new Device();
    c.send(0, 'af_burden', 3);
    expect(c.send(1, 'af_ventricular_rate', 140)).toEqual([]);
  });
});

describe('CRT pacing loss', () => {
  const pattern = (lows: number[]) => (day: number) => (lows.includes(day) ? 85 : 97);

  it('alerts on the fifth day below 90 % within 7 days', () => {
    const d = new Device();
    const out = d.nights(0, 7, { crt_pacing_pct: pattern([0, 2, 3, 5, 6]) });
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ kind: 'crt_pacing_loss', trigger: { value: 85 }, evidence: { lowDays: 5 } });
  });

  it('stays quiet with 4 low days in 7, with 90.0 %, or when the lows spread over 8 days', () => {
    expect(new Device().nights(0, 7, { crt_pacing_pct: pattern([0, 2, 3, 5]) })).toEqual([]);
    expect(new Device().nights(0, 7, { crt_pacing_pct: 90 })).toEqual([]);
    expect(new Device().nights(0, 9, { crt_pacing_pct: pattern([0, 1, 3, 5, 7]) })).toEqual([]);
  });

  it('counts a day without a report as not low', () => {
    const d = new Device();
    for (const day of [0, 1, 2, 3, 7]) d.send(day, 'crt_pacing_pct', 80);
    expect(d.decisions).toEqual([]);
  });
});
