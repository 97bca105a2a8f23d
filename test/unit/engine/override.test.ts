import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, mergeConfig, overrideProblems } from '../../../src/engine/index.ts';
import { HARD_LIMITS, limitProblem } from '../../../src/engine/limits.ts';

describe('engine settings overrides', () => {
  it('keep the hard-limit rules within their clinical floors, and the defaults are within them', () => {
    expect(overrideProblems({ shock: { minShocks: 1_000_000 }, lead: { shockMin: 0, shockMax: 100_000 } })).toEqual([
      'shock.minShocks must be at most 1 (clinical floor: every shock alerts)',
      'lead.shockMin must be at least 10 (clinical floor: a shock lead under 20 Ohm is a short)',
      'lead.shockMax must be at most 250 (clinical floor: a shock lead over 200 Ohm may not deliver a shock)',
    ]);
    expect(overrideProblems({ priorities: { ventricular_arrhythmia: 'medium', battery: 'low' } })).toEqual([
      'priorities.ventricular_arrhythmia must be high (clinical floor: VT/VF is reviewed now)',
      'priorities.battery must be medium or high (clinical floor: a battery at replacement is reviewed the next working day)',
    ]);
    // More sensitive is allowed; heart-failure settings are the clinic's own trade.
    expect(overrideProblems({ lead: { pacingMin: 250, jumpPct: 30 }, priorities: { battery: 'high' }, hf: { zSecond: 10 } })).toEqual([]);
    const defaults = DEFAULT_CONFIG as unknown as Record<string, Record<string, unknown>>;
    for (const path of Object.keys(HARD_LIMITS)) {
      const [group, key] = path.split('.') as [string, string];
      expect(limitProblem(path, defaults[group]?.[key]), path).toBeNull();
    }
  });


  it('accept a partial configuration of the right shape and types', () => {
    expect(overrideProblems({ af: { burdenHours: 4 }, priorities: { af_burden: 'high' } })).toEqual([]);
    expect(overrideProblems({})).toEqual([]);
  });

  it('name each key that does not fit', () => {
    expect(overrideProblems({ af: { burdenHourz: 1, burdenHours: -1 }, hf: { weights: { activity: '30' } } })).toEqual([
      'unknown engine setting: af.burdenHourz',
      'af.burdenHours must be a number, 0 or more',
      'hf.weights.activity must be a number, 0 or more',
    ]);
    expect(overrideProblems({ af: [] })).toEqual(['af must be an object']);
    expect(overrideProblems({ priorities: { battery: 'urgent' } })).toEqual(['priorities.battery must be one of low, medium, high']);
    expect(overrideProblems({ af: { burdenHours: Infinity } })).toEqual(['af.burdenHours must be a number, 0 or more']);
  });

  it('treat inherited names (constructor, __proto__, toString) as unknown, however deep the value', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const hostile = JSON.parse(`{"constructor":{"constructor":1},"__proto__":{"x":1},"toString":2}`) as object;
    expect(overrideProblems(hostile)).toEqual([
      'unknown engine setting: constructor', 'unknown engine setting: __proto__', 'unknown engine setting: toString',
    ]);
    expect(overrideProblems({ constructor: deep })).toEqual(['unknown engine setting: constructor']);
    expect(() => mergeConfig(DEFAULT_CONFIG, { constructor: {} } as never)).toThrow(/unknown engine config key: constructor/);
  });
});
