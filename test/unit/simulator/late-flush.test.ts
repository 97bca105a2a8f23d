import { describe, expect, it } from 'vitest';
import { createCohort } from '../../../simulators/cohort.ts';
import { LateFlusher } from '../../../simulators/gateway/late.ts';
import { planGateways } from '../../../simulators/gateway/routing.ts';
import { Rng } from '../../../simulators/prng.ts';
import type { Transmission } from '../../../simulators/types.ts';

describe('late flushes', () => {
  it('deliver held uploads late, in each device\'s seq order, less than 20 h late', () => {
    const cohort = createCohort({ patients: 30, days: 40, seed: 'late', scenarios: {}, noise: { duplicateRate: 0 } });
    const late = new LateFlusher(new Rng('late'), 0.1);
    // `before` is the arrival time of the previous upload in the stream: a hold released now
    // ended after it, so a delivery's delay is at most `before - sentAt` plus nothing seen.
    const delivered: Array<{ t: Transmission; before: number }> = [];
    let before = -Infinity;
    for (const t of cohort.transmissions()) {
      for (const d of late.push(t, t.sentAt)) delivered.push({ t: d, before });
      before = t.sentAt;
    }
    for (const d of late.releaseAll()) delivered.push({ t: d, before: -Infinity });

    expect(late.flushes).toBeGreaterThan(10);
    expect(delivered.length).toBe([...cohort.transmissions()].length);
    const lastSeq = new Map<string, number>();
    let lateOnes = 0;
    for (const { t, before: prev } of delivered) {
      const first = t.readings[0]?.seq ?? 0;
      expect(first).toBeGreaterThan(lastSeq.get(t.device) ?? -1);
      lastSeq.set(t.device, t.readings[t.readings.length - 1]?.seq ?? first);
      if (prev > t.sentAt) {
        lateOnes++;
        expect(prev - t.sentAt).toBeLessThan(20 * 3600_000);
      }
    }
    expect(lateOnes).toBeGreaterThan(0);
  });
});

describe('gateway routing', () => {
  it('gives the first patients a bedside gateway each and shares relays per site', () => {
    const { patients } = createCohort({ patients: 25, days: 1, seed: 1, sites: ['a', 'b'] });
    const { gateways, byDevice } = planGateways(patients, { bedside: 5, relays: 2 });
    expect(gateways.filter((g) => g.style === 'bedside')).toHaveLength(5);
    expect(gateways.filter((g) => g.style === 'relay')).toHaveLength(4);
    for (const p of patients) expect(byDevice.get(p.device)?.site).toBe(p.site);
    expect(gateways.reduce((n, g) => n + g.devices.length, 0)).toBe(25);
    expect(planGateways(patients, { bedside: 0, relays: 0 }).gateways).toHaveLength(25);
  });
});
