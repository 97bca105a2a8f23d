import { describe, expect, it } from 'vitest';
import { Device, wobble } from './stream.ts';

const learned = (d: Device, ohm = 600): void => {
  d.nights(0, 40, { rv_lead_impedance: (day) => ohm + wobble(day, 15) });
};

describe('lead integrity: safe range', () => {
  it.each([
    ['rv_lead_impedance', 200, false], ['rv_lead_impedance', 199, true],
    ['ra_lead_impedance', 2000, false], ['ra_lead_impedance', 2001, true],
    ['lv_lead_impedance', 1999, false],
    ['shock_impedance', 20, false], ['shock_impedance', 19.9, true],
    ['shock_impedance', 200, false], ['shock_impedance', 201, true],
  ])('%s at %d Ohm alerts: %s', (metric, ohm, alerts) => {
    const d = new Device();
    const out = d.send(0, metric as string, ohm as number);
    expect(out.map((x) => `${x.kind}:${x.priority}`)).toEqual(alerts ? ['lead_integrity:high'] : []);
  });
});

describe('lead integrity: jump against the 30-day baseline', () => {
  it('alerts at +50 % but not just under, once learned', () => {
    const d = new Device();
    learned(d);
    const mean = d.state.baselines.rv_lead_impedance?.mean ?? 0;
    expect(d.send(40, 'rv_lead_impedance', mean * 1.49)).toEqual([]);
    expect(d.send(41, 'rv_lead_impedance', mean * 1.51)).toMatchObject([{ kind: 'lead_integrity', action: 'open' }]);
  });

  it('alerts on a 50 % fall inside the safe range', () => {
    const d = new Device();
    learned(d, 1000);
    expect(d.send(40, 'rv_lead_impedance', 480)).toMatchObject([{ kind: 'lead_integrity' }]);
  });

  it('does not judge a jump during the learning period', () => {
    const d = new Device();
    d.nights(0, 10, { rv_lead_impedance: 600 });
    expect(d.send(10, 'rv_lead_impedance', 1000)).toEqual([]);
  });
});

describe('lead integrity: 2 of 3 within 60 days', () => {
  it('needs two criteria: NSVT >= 2 and >= 30 short V-V intervals over 3 days', () => {
    const d = new Device();
    expect(d.send(0, 'nsvt_episodes', 2)).toEqual([]);
    expect(d.send(10, 'short_vv_intervals', 10)).toEqual([]);
    expect(d.send(11, 'short_vv_intervals', 10)).toEqual([]);
    expect(d.send(12, 'short_vv_intervals', 10)).toMatchObject([{ kind: 'lead_integrity', evidence: { criteriaMet: 2 } }]);
  });

  it('does not count short V-V intervals spread over more than 3 days', () => {
    const d = new Device();
    d.send(0, 'nsvt_episodes', 3);
    for (let day = 1; day <= 8; day++) expect(d.send(day * 3, 'short_vv_intervals', 20)).toEqual([]);
  });

  it('forgets a criterion met more than 60 days before', () => {
    const d = new Device();
    d.send(0, 'short_vv_intervals', 30);
    expect(d.send(60, 'nsvt_episodes', 2)).toEqual([]);
    const e = new Device();
    e.send(0, 'short_vv_intervals', 30);
    expect(e.send(59, 'nsvt_episodes', 2)).toHaveLength(1);
  });

  it('counts one NSVT as no criterion, and an abnormal impedance change as one', () => {
    const d = new Device();
    learned(d);
    expect(d.send(40, 'nsvt_episodes', 1)).toEqual([]);
    expect(d.send(41, 'rv_lead_impedance', 600 * 1.35)).toEqual([]);
    expect(d.send(42, 'nsvt_episodes', 2)).toMatchObject([{ kind: 'lead_integrity' }]);
  });
});
