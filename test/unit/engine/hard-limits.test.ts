import { describe, expect, it } from 'vitest';
import { acknowledgeResolved } from '../../../src/engine/policy.ts';
import { Device } from './stream.ts';

describe('ventricular arrhythmia and shocks', () => {
  it('speak from the very first reading, on the reading that reports them', () => {
    const d = new Device();
    expect(d.send(0, 'vt_episodes', 0)).toEqual([]);
    const [vt] = d.send(0, 'vf_episodes', 1);
    expect(vt).toMatchObject({ kind: 'ventricular_arrhythmia', priority: 'high', action: 'open', trigger: { metric: 'vf_episodes', value: 1 } });
    expect(vt?.score).toBe(1);
    expect(d.send(0, 'shocks_delivered', 0)).toEqual([]);
    expect(d.send(0, 'shocks_delivered', 1)).toMatchObject([{ kind: 'shock_delivered', priority: 'high', action: 'open' }]);
  });

  it('updates the open alert on a new episode and opens again once resolved', () => {
    const d = new Device();
    d.send(0, 'vt_episodes', 1);
    expect(d.send(1, 'vt_episodes', 2)).toMatchObject([{ action: 'update', kind: 'ventricular_arrhythmia' }]);
    d.state = acknowledgeResolved(d.state, 'ventricular_arrhythmia');
    expect(d.send(2, 'vt_episodes', 1)).toMatchObject([{ action: 'open' }]);
  });
});

describe('metric keys', () => {
  it('accepts an MDC reference for a metric and reports the metric name', () => {
    const d = new Device();
    expect(d.send(0, 'MDC_IDC_MSMT_BATTERY_STATUS', 3)).toMatchObject([{ kind: 'battery', trigger: { metric: 'battery_status' } }]);
    expect(d.send(0, '737824', 1)).toMatchObject([{ kind: 'shock_delivered', trigger: { metric: 'shocks_delivered' } }]);
  });
});

describe('battery', () => {
  it('opens at ERI (medium), stays quiet while ERI repeats, raises to high at EOS', () => {
    const d = new Device();
    expect(d.nights(0, 3, { battery_status: 2 })).toEqual([]);
    expect(d.send(3, 'battery_status', 3)).toMatchObject([{ kind: 'battery', priority: 'medium', action: 'open' }]);
    expect(d.nights(4, 20, { battery_status: 3 })).toEqual([]);
    expect(d.send(24, 'battery_status', 4)).toMatchObject([{ kind: 'battery', priority: 'high', action: 'update' }]);
  });

  it('opens at EOS with high priority when ERI was never seen', () => {
    const d = new Device();
    expect(d.send(0, 'battery_status', 4)).toMatchObject([{ priority: 'high', action: 'open' }]);
  });

  it('flags rapid depletion at 6 months lost within 30 days, not at 5.9', () => {
    const slow = new Device();
    expect(slow.nights(0, 31, { battery_longevity: (day) => 60 - (5.9 * day) / 30 })).toEqual([]);
    const fast = new Device();
    const out = fast.nights(0, 31, { battery_longevity: (day) => 60 - (6 * day) / 30 });
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ kind: 'battery', priority: 'medium', evidence: { longevityDropMonths: 6, windowDays: 30 } });
  });

  it('still sees the depletion when the night 30 days back was lost', () => {
    const d = new Device();
    for (let day = 0; day <= 31; day++) if (day !== 1) d.send(day, 'battery_longevity', 60 - (7 * day) / 30);
    expect(d.decisions.length).toBeGreaterThan(0);
  });

  it('ignores the normal month-a-month countdown', () => {
    const d = new Device();
    expect(d.nights(0, 400, { battery_longevity: (day) => 100 - day / 30.4 })).toEqual([]);
  });
});
