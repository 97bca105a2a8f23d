import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../src/engine/config.ts';
import { riskStatus } from '../../../src/engine/hf/risk.ts';
import { engineDay } from './stream.ts';
import { HfPatient } from './hf-patient.ts';

describe('heart-failure properties', () => {
  it('never raises High for a quiet patient with Gaussian noise of the learned spread', () => {
    // Any seed, any spread between a very steady and a very volatile patient, any set of
    // inputs the device reports: a year of nothing but the patient's own noise.
    const metricSets = [
      ['thoracic_impedance', 'respiratory_rate', 'night_heart_rate', 'hrv_sdaam', 'activity'],
      ['thoracic_impedance', 'night_heart_rate', 'activity'],
      ['thoracic_impedance', 'respiratory_rate'],
    ];
    fc.assert(fc.property(
      fc.string({ minLength: 1, maxLength: 12 }), fc.double({ min: 0.3, max: 3, noNaN: true }), fc.constantFrom(...metricSets),
      (seed, noise, metrics) => {
        const p = new HfPatient(DEFAULT_CONFIG, seed, metrics, noise);
        for (let day = 0; day < 365; day++) {
          p.night(day);
          expect(riskStatus(p.state, engineDay(day), DEFAULT_CONFIG)).not.toBe('High');
        }
        expect(p.device.decisions).toEqual([]);
      },
    ), { numRuns: 60 });
  });
});
