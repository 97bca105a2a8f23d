// A heart-failure patient for the engine tests: a nightly transmission of the HF inputs, each
// its baseline plus seeded Gaussian day-to-day noise, with deviations added on chosen days.
import { Rng } from '../../../simulators/prng.ts';
import type { EngineConfig } from '../../../src/engine/config.ts';
import { DEFAULT_CONFIG } from '../../../src/engine/config.ts';
import type { AlertDecision } from '../../../src/engine/types.ts';
import { Device } from './stream.ts';

export const BASE: Readonly<Record<string, number>> = {
  thoracic_impedance: 70, respiratory_rate: 16, night_heart_rate: 62, hrv_sdaam: 105, activity: 230,
};

/** Day-to-day SD of each input: the patient's own spread. */
export const SD: Readonly<Record<string, number>> = {
  thoracic_impedance: 1, respiratory_rate: 0.4, night_heart_rate: 2, hrv_sdaam: 6, activity: 20,
};

export type Deviation = Partial<Record<string, number>>;

export class HfPatient {
  readonly device: Device;
  private readonly rng: Rng;
  constructor(
    config: EngineConfig = DEFAULT_CONFIG,
    seed = 'hf-patient',
    readonly metrics: readonly string[] = Object.keys(BASE),
    /** Multiplies every SD; may be changed between nights. */
    public noise = 1,
  ) {
    this.device = new Device(config);
    this.rng = new Rng(seed);
  }

  get state() {
    return this.device.state;
  }

  /** One night: each metric's baseline, noise, and `add` (units of the metric). */
  night(day: number, add: Deviation = {}): AlertDecision[] {
    const out: AlertDecision[] = [];
    for (const m of this.metrics) {
      const v = (BASE[m] as number) + this.noise * (SD[m] as number) * this.rng.normal() + (add[m] ?? 0);
      out.push(...this.device.send(day, m, v));
    }
    return out;
  }

  /** `days` nights from `from`, the deviation of each day given by `add(day)`. */
  nights(from: number, days: number, add: (day: number) => Deviation = () => ({})): AlertDecision[] {
    const out: AlertDecision[] = [];
    for (let d = from; d < from + days; d++) out.push(...this.night(d, add(d)));
    return out;
  }
}
