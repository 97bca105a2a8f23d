// Runs every device of a cohort through the engine, without a database, under the simulated
// clinic, and counts its alert openings against the ground truth.
import {
  DEFAULT_CONFIG, acknowledgeResolved, newDeviceState, processReading,
  type DeviceState, type EngineConfig, type EngineReading, type LifecycleEvent,
} from '../../src/engine/index.ts';
import type { Cohort } from '../cohort.ts';
import type { NoiseProfile } from '../types.ts';
import { EpisodeTracker, NEXT_DAY_CLINIC, type AlertEpisode, type Clinic } from './episodes.ts';
import { KINDS, countEligible, eligibilityOf } from './kinds.ts';
import { DEFAULT_RULES, tallyKind, type KindTally, type MatchRules } from './match.ts';
import { engineReadings, type PreparedCohort } from './prepare.ts';

/** The cohort's readings per device, in seq order, as objects (bench:engine's input). */
export function readingsByDevice(cohort: Cohort): Map<string, EngineReading[]> {
  const out = new Map<string, EngineReading[]>();
  for (const r of cohort.readings()) {
    let list = out.get(r.device);
    if (!list) out.set(r.device, (list = []));
    list.push({ seq: r.seq, at: Date.parse(r.at), metric: r.metric, value: r.value });
  }
  for (const list of out.values()) list.sort((a, b) => a.seq - b.seq);
  return out;
}

/** Where a device's run starts and what the clinic recorded of its life. */
export interface DeviceRunOptions {
  /** The first state: a replacement generator's is carryOver of the one it replaced. Default: new. */
  readonly state?: DeviceState;
  /** The device's lifecycle events in event order, passed to the engine with every reading. */
  readonly events?: readonly LifecycleEvent[];
}

/** One device's alert episodes; the clinic's resolutions reach the engine before the next reading. */
export function runDevice(
  device: string, readings: Iterable<EngineReading>, config: EngineConfig, clinic: Clinic, options: DeviceRunOptions = {},
): AlertEpisode[] {
  return runDeviceState(device, readings, config, clinic, options).episodes;
}

/** As runDevice, with the engine's state after the last reading (for a successor's carryOver). */
export function runDeviceState(
  device: string, readings: Iterable<EngineReading>, config: EngineConfig, clinic: Clinic, options: DeviceRunOptions = {},
): { episodes: AlertEpisode[]; state: DeviceState } {
  const state = options.state ?? newDeviceState();
  const events = options.events && options.events.length > 0 ? options.events : undefined;
  const tracker = new EpisodeTracker(device, clinic);
  for (const r of readings) {
    for (const kind of tracker.resolveDue(r.at)) acknowledgeResolved(state, kind);
    for (const d of processReading(state, r, config, events).decisions) tracker.add(d);
  }
  return { episodes: tracker.episodes, state };
}

export interface ScoreOptions {
  readonly config?: EngineConfig;
  /** Default: NEXT_DAY_CLINIC. */
  readonly clinic?: Clinic;
  readonly rules?: MatchRules;
  /** Called with the share of devices scored (0..1). */
  readonly onProgress?: (done: number) => void;
}

/** One cohort under one engine setting: the counts per kind, in KINDS order. */
export interface CohortScore {
  readonly seed: string;
  readonly profile: NoiseProfile;
  readonly readings: number;
  readonly tallies: readonly KindTally[];
}

export function scoreCohort(prepared: PreparedCohort, options: ScoreOptions = {}): CohortScore {
  const config = options.config ?? DEFAULT_CONFIG;
  const clinic = options.clinic ?? NEXT_DAY_CLINIC;
  const episodes: AlertEpisode[] = [];
  prepared.devices.forEach((d, i) => {
    episodes.push(...runDevice(d.device, engineReadings(d, prepared.metrics), config, clinic));
    options.onProgress?.((i + 1) / prepared.devices.length);
  });
  // A replacement generator's patient is already counted with the device it replaced.
  const eligible = countEligible(prepared.devices.filter((d) => d.replaces === undefined).map((d) => d.type));
  const tallies = KINDS.map((kind) => tallyKind(kind, prepared.truth, episodes, {
    days: prepared.days, patients: prepared.patients, eligiblePatients: eligible[eligibilityOf(kind)],
  }, options.rules ?? DEFAULT_RULES));
  return { seed: prepared.seed, profile: prepared.profile, readings: prepared.readings, tallies };
}
