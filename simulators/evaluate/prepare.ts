// A cohort generated once and kept as per-device columns, so tuning can score many engine
// settings on the same readings: generating 1,000 patients × 365 days takes ~13 s, scoring
// them a few seconds. Columns (about 26 bytes a reading) instead of one object per reading keep
// three tuning seeds resident in a few hundred MB.
import type { EngineReading } from '../../src/engine/index.ts';
import { createCohort } from '../cohort.ts';
import type { LifecycleTruth } from '../lifecycle/types.ts';
import type { DeviceType, NoiseProfile, TruthEvent } from '../types.ts';

const DAY_MS = 86_400_000;

export interface DeviceReadings {
  readonly device: string;
  readonly type: DeviceType;
  /** A replacement generator (lifecycle): the serial it replaced; its patient counts once. */
  readonly replaces?: string;
  /** Parallel columns in seq order; `metric` indexes PreparedCohort.metrics. */
  readonly seq: Float64Array;
  readonly at: Float64Array;
  readonly metric: Uint16Array;
  readonly value: Float64Array;
}

export interface PreparedCohort {
  readonly seed: string;
  readonly profile: NoiseProfile;
  readonly patients: number;
  readonly days: number;
  readonly metrics: readonly string[];
  /** Every patient's device, those that never transmitted included (they count as exposure). */
  readonly devices: readonly DeviceReadings[];
  readonly truth: readonly TruthEvent[];
  readonly readings: number;
  /** First simulated day, epoch ms (absent in hand-made cohorts). */
  readonly start?: number;
  /** Lifecycle events in event order (absent or empty unless prepared with `lifecycle`). */
  readonly lifecycle?: readonly LifecycleTruth[];
}

export interface PrepareOptions {
  readonly seed: string;
  readonly profile: NoiseProfile;
  readonly patients: number;
  readonly days: number;
  /** The cohort with device lifecycle events (createCohort's `lifecycle`). */
  readonly lifecycle?: boolean;
  /** Called with the share of simulated days generated (0..1). */
  readonly onProgress?: (done: number) => void;
}

interface Growing { seq: number[]; at: number[]; metric: number[]; value: number[] }

/**
 * Generates the cohort and groups its readings per device in seq order: the generator yields
 * them in arrival order, and the engine ignores a reading older than one it has already seen
 * (docs/engine.md, late readings), which would hide an unplugged monitor's backlog.
 */
export function prepareCohort(o: PrepareOptions): PreparedCohort {
  const cohort = createCohort({
    patients: o.patients, days: o.days, seed: o.seed, profile: o.profile, ...(o.lifecycle ? { lifecycle: true } : {}),
  });
  const { start } = cohort.options;
  const metricIndex = new Map<string, number>();
  const growing = new Map<string, Growing>();
  let n = 0;
  for (const r of cohort.readings()) {
    let g = growing.get(r.device);
    if (!g) growing.set(r.device, (g = { seq: [], at: [], metric: [], value: [] }));
    let m = metricIndex.get(r.metric);
    if (m === undefined) metricIndex.set(r.metric, (m = metricIndex.size));
    const at = Date.parse(r.at);
    g.seq.push(r.seq);
    g.at.push(at);
    g.metric.push(m);
    g.value.push(r.value);
    // Arrival order is close to event order, so event time tells how far the generator is.
    if (o.onProgress && ++n % 100_000 === 0) o.onProgress(Math.min(1, (at - start) / (o.days * DAY_MS)));
  }
  o.onProgress?.(1);
  const take = (device: string): Omit<DeviceReadings, 'device' | 'type'> => {
    const cols = columns(growing.get(device) ?? { seq: [], at: [], metric: [], value: [] });
    growing.delete(device);
    return cols;
  };
  // A patient's replacement generators follow the device they replaced.
  const successors = new Map<string, LifecycleTruth[]>();
  for (const e of cohort.lifecycle) {
    if (e.kind !== 'generator_change') continue;
    const list = successors.get(e.patientId) ?? [];
    list.push(e);
    successors.set(e.patientId, list);
  }
  const devices: DeviceReadings[] = cohort.patients.flatMap((p) => [
    { device: p.device, type: p.type, ...take(p.device) },
    ...(successors.get(p.id) ?? []).map((e) => ({ device: e.device, type: p.type, replaces: e.replaces ?? p.device, ...take(e.device) })),
  ]);
  return {
    seed: o.seed, profile: o.profile, patients: o.patients, days: o.days,
    metrics: [...metricIndex.keys()], devices, truth: cohort.truth,
    readings: devices.reduce((s, d) => s + d.seq.length, 0),
    start, lifecycle: cohort.lifecycle,
  };
}

function columns(g: Growing): Omit<DeviceReadings, 'device' | 'type'> {
  const order = g.seq.map((_, i) => i);
  // Stable, so duplicates of a seq keep their arrival order, as the engine would see them.
  order.sort((a, b) => (g.seq[a] as number) - (g.seq[b] as number));
  const pick = <A extends Float64Array | Uint16Array>(src: number[], out: A): A => {
    order.forEach((from, to) => { out[to] = src[from] as number; });
    return out;
  };
  const len = order.length;
  return {
    seq: pick(g.seq, new Float64Array(len)),
    at: pick(g.at, new Float64Array(len)),
    metric: pick(g.metric, new Uint16Array(len)),
    value: pick(g.value, new Float64Array(len)),
  };
}

/** One device's readings as the engine takes them. */
export function* engineReadings(d: DeviceReadings, metrics: readonly string[]): Generator<EngineReading> {
  for (let i = 0; i < d.seq.length; i++) {
    yield { seq: d.seq[i] as number, at: d.at[i] as number, metric: metrics[d.metric[i] as number] as string, value: d.value[i] as number };
  }
}
