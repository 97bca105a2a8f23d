// The daily fluid index of a device as the engine computed it: the device's stored readings
// run through the engine itself (processReading, with the settings in force when each was
// received), reading the OptiVol-style accumulator (src/engine/hf/fluid.ts) after every
// thoracic impedance day it counted. Pure: the routes bring the readings.
import { metricById } from '../domain/vocabulary.ts';
import { processReading, type DeviceState, type EngineConfig, type LifecycleEvent } from '../engine/index.ts';
import { fluidReady } from '../engine/hf/fluid.ts';

export interface FluidDay {
  /** Event time of the impedance reading that made the day, epoch ms. */
  readonly at: number;
  /** The day's thoracic impedance, Ohm. */
  readonly impedance: number;
  /** The adaptive reference after the day, Ohm. */
  readonly reference: number;
  /** Ohm·days; null while the reference is still learning (OptiVol's first 34 days). */
  readonly fluidIndex: number | null;
  /** The fluid threshold of the settings the day was scored with, Ohm·days. */
  readonly threshold: number;
}

export interface StoredRow { readonly seq: number; readonly at: number; readonly metric: number; readonly value: number; readonly received: number }

const round = (x: number): number => Math.round(x * 100) / 100;

/**
 * Takes `rows` (event order) into `state` in place and returns the impedance days at or after
 * `from`. Call again with the next rows of the same device to go on.
 */
export function fluidDays(
  state: DeviceState, rows: readonly StoredRow[], configAt: (received: number) => EngineConfig,
  lifecycle: readonly LifecycleEvent[], from: number,
): FluidDay[] {
  const out: FluidDay[] = [];
  const hf = state.hf;
  for (const r of rows) {
    const def = metricById(r.metric);
    if (!def) continue;
    const config = configAt(r.received);
    const days = hf.impedanceDays;
    const last = hf.lastImpedanceDay;
    processReading(state, { seq: r.seq, at: r.at, metric: def.name, value: r.value }, config, lifecycle);
    if (def.name !== 'thoracic_impedance' || r.at < from) continue;
    // A day counted by the accumulator (a second value of the same monitoring day is ignored
    // by it, and a settling pocket's values are not taken in at all).
    const counted = hf.lastImpedanceDay !== null && (hf.lastImpedanceDay !== last || hf.impedanceDays !== days);
    if (!counted || hf.reference === null) continue;
    out.push({
      at: r.at, impedance: r.value, reference: round(hf.reference),
      fluidIndex: fluidReady(hf, config) ? round(hf.fluidIndex) : null, threshold: config.hf.fluidThreshold,
    });
  }
  return out;
}
