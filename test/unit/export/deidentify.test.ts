import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DAY_MS, MAX_SHIFT_DAYS, ageBand, createDeidentifier } from '../../../src/export/deidentify.ts';

const key = fc.string({ minLength: 32, maxLength: 64 });
const ids = fc.uniqueArray(fc.integer({ min: 1, max: 2 ** 31 - 1 }), { minLength: 20, maxLength: 60 });

describe('pseudonyms and date shifts', () => {
  it('are the same for the same key, in any order and across exports', () => {
    fc.assert(
      fc.property(key, ids, (k, list) => {
        const a = createDeidentifier(k);
        const b = createDeidentifier(k);
        const first = list.map((id) => a.subject(id));
        const again = [...list].reverse().map((id) => b.subject(id)).reverse();
        expect(again).toEqual(first);
        expect(list.map((id) => b.alert(id))).toEqual(list.map((id) => a.alert(id)));
      }),
    );
  });

  it('are unlinkable under another key: no pseudonym in common, and other shifts', () => {
    fc.assert(
      fc.property(key, key, ids, (k1, k2, list) => {
        fc.pre(k1 !== k2);
        const a = list.map((id) => createDeidentifier(k1).subject(id));
        const b = list.map((id) => createDeidentifier(k2).subject(id));
        const inA = new Set(a.map((s) => s.id));
        expect(b.some((s) => inA.has(s.id))).toBe(false);
        // 20+ independent draws from 361 values: equal everywhere only by a broken key schedule.
        expect(b.map((s) => s.shiftMs)).not.toEqual(a.map((s) => s.shiftMs));
      }),
    );
  });

  it('shift by whole days within ±180, spread over the range', () => {
    const d = createDeidentifier('k'.repeat(32));
    const days = Array.from({ length: 5000 }, (_, i) => d.subject(i + 1).shiftMs / DAY_MS);
    for (const x of days) {
      expect(Number.isInteger(x)).toBe(true);
      expect(Math.abs(x)).toBeLessThanOrEqual(MAX_SHIFT_DAYS);
    }
    expect(Math.min(...days)).toBeLessThan(-170);
    expect(Math.max(...days)).toBeGreaterThan(170);
    expect(new Set(days).size).toBeGreaterThan(300);
  });

  it('are hex of the documented lengths, not the internal id', () => {
    const d = createDeidentifier('k'.repeat(32));
    expect(d.subject(42).id).toMatch(/^[0-9a-f]{32}$/);
    expect(d.alert(42)).toMatch(/^[0-9a-f]{16}$/);
    expect(d.alert(42)).not.toBe(d.subject(42).id.slice(0, 16));
  });
});

describe('age bands', () => {
  it('are 5 years wide, 90 and over as one band', () => {
    expect([0, 4, 5, 49, 50, 74, 89, 90, 104].map(ageBand)).toEqual(['0-4', '0-4', '5-9', '45-49', '50-54', '70-74', '85-89', '90+', '90+']);
    expect(ageBand(null)).toBeNull();
    expect(ageBand(-1)).toBeNull();
  });
  it('always contain the age', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 89 }), (age) => {
        const [lo, hi] = ageBand(age)!.split('-').map(Number);
        expect(age).toBeGreaterThanOrEqual(lo!);
        expect(age).toBeLessThanOrEqual(hi!);
        expect(hi! - lo!).toBe(4);
      }),
    );
  });
});
