import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, mergeConfig } from '../../../src/engine/config.ts';
import { Device, wobble } from './stream.ts';

describe('fluid index (OptiVol style)', () => {
  const flatReference = mergeConfig(DEFAULT_CONFIG, { hf: { referenceAlphaDown: 0 } });

  it('adds each day shortfall below the reference and resets when the day crosses back', () => {
    const d = new Device(flatReference);
    d.nights(0, 34, { thoracic_impedance: 70 });
    const fi: number[] = [];
    for (const [day, ohm] of [[34, 65], [35, 65], [36, 62], [37, 70.5], [38, 69]] as const) {
      d.send(day, 'thoracic_impedance', ohm);
      fi.push(d.state.hf.fluidIndex);
    }
    // After crossing back the reference moves up (quickly) towards 70.5, to 70.05.
    expect(fi.map((x) => Math.round(x * 100) / 100)).toEqual([5, 10, 18, 0, 1.05]);
  });

  it('accumulates nothing during the 34 learning days', () => {
    const d = new Device(flatReference);
    d.nights(0, 10, { thoracic_impedance: 70 });
    d.nights(10, 24, { thoracic_impedance: 60 });
    expect(d.state.hf.fluidIndex).toBe(0);
  });

  it('lets the reference follow a slow, noisy fall without reaching the threshold', () => {
    const d = new Device();
    d.nights(0, 34, { thoracic_impedance: (day) => 70 + wobble(day, 1) });
    let peak = 0;
    for (let day = 34; day < 400; day++) {
      d.send(day, 'thoracic_impedance', 70 - (day - 34) * 0.02 + wobble(day, 1));
      peak = Math.max(peak, d.state.hf.fluidIndex);
    }
    expect(peak).toBeLessThan(DEFAULT_CONFIG.hf.fluidThreshold / 2);
  });

  it('counts a missed night as no day: the index adds only nights that were measured', () => {
    const d = new Device(flatReference);
    d.nights(0, 34, { thoracic_impedance: 70 });
    d.send(34, 'thoracic_impedance', 65);
    // Three nights lost, then the next: 5 + 5, not 5 + 4 × 5.
    d.send(38, 'thoracic_impedance', 65);
    expect(d.state.hf.fluidIndex).toBe(10);
  });
});

describe('robust baseline arithmetic', () => {
  it('computes the median absolute deviation of sorted values like the textbook definition', async () => {
    const { medianAbsoluteDeviation } = await import('simple-statistics');
    const { medianDeviation } = await import('../../../src/engine/hf/inputs.ts');
    for (const values of [[1], [1, 2], [1, 2, 3, 4, 100], [5, 5, 5, 5], [-3, -1, 0, 2, 2, 7, 9, 30], [0.1, 0.4, 0.45, 0.9, 1.2, 1.3]]) {
      const sorted = Float64Array.from(values).sort();
      const n = sorted.length;
      const m = n % 2 ? (sorted[(n - 1) / 2] as number) : ((sorted[n / 2 - 1] as number) + (sorted[n / 2] as number)) / 2;
      expect(medianDeviation(sorted, n, m)).toBeCloseTo(medianAbsoluteDeviation(values), 12);
    }
  });
});
