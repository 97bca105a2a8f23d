// Runs every device of a cohort through the engine, without a database, and collects its
// alert episodes. Readings are grouped per device and sorted by seq first: the generator yields
// them in arrival order, and the engine ignores a reading older than one it has already seen
// (docs/engine.md, late readings), which would hide an unplugged monitor's backlog.
import {
  DEFAULT_CONFIG, acknowledgeResolved, newDeviceState, processReading,
  type EngineConfig, type EngineReading,
} from '../../src/engine/index.ts';
import type { Cohort } from '../cohort.ts';
import { EpisodeTracker, type AlertEpisode } from './episodes.ts';

export interface RunOptions {
  readonly config?: EngineConfig;
  /** The simulated clinic resolves an alert after this many days without a new trigger. */
  readonly resolveAfterDays: number;
  /** Called with the phase and the share of it done (0..1). */
  readonly onProgress?: (phase: 'generate' | 'score', done: number) => void;
}

export interface RunResult {
  readonly episodes: AlertEpisode[];
  readonly readings: number;
  readonly devices: number;
}

/** The cohort's readings per device, in seq order. */
export function readingsByDevice(cohort: Cohort, onProgress?: (done: number) => void): Map<string, EngineReading[]> {
  const out = new Map<string, EngineReading[]>();
  const { start, days } = cohort.options;
  let n = 0;
  for (const r of cohort.readings()) {
    let list = out.get(r.device);
    if (!list) out.set(r.device, (list = []));
    const at = Date.parse(r.at);
    list.push({ seq: r.seq, at, metric: r.metric, value: r.value });
    // Arrival order is close to event order, so event time tells how far the generator is.
    if (onProgress && ++n % 100_000 === 0) onProgress(Math.min(1, (at - start) / (days * 86_400_000)));
  }
  onProgress?.(1);
  for (const list of out.values()) list.sort((a, b) => a.seq - b.seq);
  return out;
}

export function runDevice(device: string, readings: readonly EngineReading[], config: EngineConfig, resolveAfterDays: number): AlertEpisode[] {
  const state = newDeviceState();
  const tracker = new EpisodeTracker(device, resolveAfterDays * 86_400_000);
  for (const r of readings) {
    for (const kind of tracker.resolveQuiet(r.at)) acknowledgeResolved(state, kind);
    for (const d of processReading(state, r, config).decisions) tracker.add(d);
  }
  return tracker.episodes;
}

export function runCohort(cohort: Cohort, options: RunOptions): RunResult {
  const config = options.config ?? DEFAULT_CONFIG;
  const byDevice = readingsByDevice(cohort, (d) => options.onProgress?.('generate', d));
  const episodes: AlertEpisode[] = [];
  let readings = 0;
  let done = 0;
  for (const [device, list] of byDevice) {
    episodes.push(...runDevice(device, list, config, options.resolveAfterDays));
    readings += list.length;
    // Release each device's readings once scored: the whole cohort need not stay resident.
    byDevice.set(device, []);
    options.onProgress?.('score', ++done / byDevice.size);
  }
  return { episodes, readings, devices: byDevice.size };
}
