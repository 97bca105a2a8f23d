import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, mergeConfig } from '../../../src/engine/config.ts';

describe('engine config', () => {
  it('carries the alert contract defaults', () => {
    const c = DEFAULT_CONFIG;
    expect([c.lead.pacingMin, c.lead.pacingMax, c.lead.shockMin, c.lead.shockMax, c.lead.jumpPct]).toEqual([200, 2000, 20, 200, 50]);
    expect([c.capture.maxVolts, c.capture.ratio]).toEqual([3.5, 2]);
    expect([c.battery.eriStatus, c.battery.eosStatus, c.battery.longevityDropMonths, c.battery.longevityWindowDays]).toEqual([3, 4, 6, 30]);
    expect([c.af.burdenHours, c.af.fastRate, c.af.fastMinBurdenHours]).toEqual([6, 110, 1]);
    expect([c.crt.minPct, c.crt.lowDays, c.crt.ofDays]).toEqual([90, 5, 7]);
    expect([c.hf.fluidThreshold, c.hf.riskWindowDays, c.connectivity.silentHours]).toEqual([60, 30, 48]);
    expect(c.hf.recoveryLevel).toBeLessThan(c.hf.highLevel);
    expect(c.priorities.connectivity_loss).toBe('low');
  });

  it('applies the site override, then the patient override over it', () => {
    const c = mergeConfig(DEFAULT_CONFIG, { af: { burdenHours: 4 }, lead: { jumpPct: 40 } }, { af: { burdenHours: 8 } });
    expect(c.af.burdenHours).toBe(8);
    expect(c.lead.jumpPct).toBe(40);
    expect(c.af.fastRate).toBe(110);
    expect(DEFAULT_CONFIG.af.burdenHours).toBe(6);
    expect(Object.isFrozen(c.af)).toBe(true);
  });

  it('rejects an unknown key instead of silently keeping the default', () => {
    expect(() => mergeConfig(DEFAULT_CONFIG, { af: { burdenHour: 4 } } as never)).toThrow(/af\.burdenHour/);
  });
});
