// Builders of hand-made reading streams for the engine tests.
import type { EngineConfig } from '../../../src/engine/config.ts';
import { DEFAULT_CONFIG } from '../../../src/engine/config.ts';
import { processReading } from '../../../src/engine/process.ts';
import { newDeviceState } from '../../../src/engine/state.ts';
import type { LifecycleEvent } from '../../../src/engine/lifecycle.ts';
import type { AlertDecision, DeviceState, EngineReading } from '../../../src/engine/types.ts';

export const DAY = 86_400_000;
export const T0 = Date.UTC(2025, 0, 1);

/** A device fed reading by reading, with its decisions recorded per reading. */
export class Device {
  state: DeviceState = newDeviceState();
  seq = 1000;
  readonly decisions: AlertDecision[] = [];
  /** The device's lifecycle events, in event order (taken in as readings pass them). */
  readonly lifecycle: LifecycleEvent[] = [];
  constructor(readonly config: EngineConfig = DEFAULT_CONFIG) {}

  /** Sends one reading at day `day` (+ `minutes`), returns its decisions. */
  send(day: number, metric: string, value: number, minutes = 120): AlertDecision[] {
    const r: EngineReading = { seq: ++this.seq, at: T0 + day * DAY + minutes * 60_000, metric, value };
    const out = processReading(this.state, r, this.config, this.lifecycle);
    this.state = out.state;
    this.decisions.push(...out.decisions);
    return [...out.decisions];
  }

  /** Sends `days` days of the same values (one nightly transmission a day). */
  nights(from: number, days: number, values: Record<string, number | ((day: number) => number)>): AlertDecision[] {
    const out: AlertDecision[] = [];
    for (let d = from; d < from + days; d++) {
      for (const [metric, v] of Object.entries(values)) out.push(...this.send(d, metric, typeof v === 'function' ? v(d) : v));
    }
    return out;
  }

  kinds(): string[] {
    return this.decisions.map((d) => `${d.kind}:${d.action}`);
  }
}

/** A small deterministic wobble so baselines get a non-zero spread. */
export function wobble(day: number, amplitude: number): number {
  return amplitude * Math.sin(day * 2.1);
}

/** The engine's day number (UTC days since 1970) of test day `n`. */
export function engineDay(n: number): number {
  return Math.floor(T0 / DAY) + n;
}
