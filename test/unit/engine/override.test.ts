import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, mergeConfig, overrideProblems } from '../../../src/engine/index.ts';

describe('engine settings overrides', () => {
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
