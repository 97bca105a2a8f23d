// The evaluation's lifecycle section: a cohort with device lifecycle events (generator changes,
// lead revisions, reprogramming, implants) run through the engine twice, under the same
// simulated clinic:
//
// - recorded: each device with its events, as the service runs it once the clinic has recorded
//   them. A replacement generator starts from carryOver of the replaced one's state after its
//   last reading, and takes its generator_change first; the replaced one ends with an explant.
// - not recorded: the same readings without events. Each serial starts from a new state, the
//   replaced generator is not explanted.
//
// For each event: the alert openings on the patient's devices in the WINDOW_DAYS after it that
// no real scenario explains (the same matching as the main table, by patient). Those are caused
// by the event's physiology or are background; "no alert storm" is at most one per event.
// connectivity_loss, which the main table leaves to the site-level check, is counted here for
// a device that stops transmitting for good (a replaced generator): it opens once its silence
// reaches its limit (the engine's silenceLimit, from its cadence), unless it was explanted.
import {
  DEFAULT_CONFIG, carryOver, silenceLimit,
  type AlertKind, type DeviceState, type EngineConfig, type LifecycleEvent,
} from '../../src/engine/index.ts';
import { FIRST_EVENT_DAY, WINDOW_DAYS } from '../lifecycle/params.ts';
import type { LifecycleKind, LifecycleTruth } from '../lifecycle/types.ts';
import type { NoiseProfile, TruthEvent } from '../types.ts';
import { NEXT_DAY_CLINIC, type AlertEpisode, type Clinic } from './episodes.ts';
import { measureProfile, type ProfileResult } from './evaluate.ts';
import { KINDS, countEligible, eligibilityOf } from './kinds.ts';
import { DEFAULT_RULES, explainWindow, tallyKind, type MatchRules } from './match.ts';
import { engineReadings, type DeviceReadings, type PreparedCohort } from './prepare.ts';
import { runDeviceState, type CohortScore } from './run.ts';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export { WINDOW_DAYS };

/** The events counted (an explant is the replaced generator's side of a generator change). */
export type WindowedKind = Exclude<LifecycleKind, 'explant'>;
export const WINDOWED_KINDS: readonly WindowedKind[] = ['implant', 'generator_change', 'lead_revision', 'reprogramming'];

export type Arm = 'recorded' | 'unrecorded';
export const ARMS: readonly Arm[] = ['recorded', 'unrecorded'];

/** Alerts counted in the windows: the engine's kinds and a stopped device's connectivity_loss. */
export type WindowAlertKind = AlertKind;

/** Counts of one event kind in one arm (summed over seeds before any rate is taken). */
export interface WindowTally {
  readonly kind: WindowedKind | 'all events';
  readonly events: number;
  /** Unexplained openings in the events' windows, all kinds, and by kind. */
  readonly alerts: number;
  readonly byKind: Partial<Record<WindowAlertKind, number>>;
  /** The most in one event's window, and the events with more than one. */
  readonly maxPerEvent: number;
  readonly eventsOverOne: number;
}

export interface ArmScore {
  readonly windows: readonly WindowTally[];
  /** The main table's counts on this cohort, matched by patient (connectivity_loss left out, as there). */
  readonly score: CohortScore;
  /** Patients without events: unexplained openings over the days events may fall on. */
  readonly background: { readonly alerts: number; readonly patientDays: number };
}

export interface LifecycleScore {
  readonly seed: string;
  readonly profile: NoiseProfile;
  readonly patients: number;
  readonly days: number;
  readonly readings: number;
  /** Every lifecycle event by kind, explants included. */
  readonly events: Readonly<Record<LifecycleKind, number>>;
  readonly arms: Readonly<Record<Arm, ArmScore>>;
}

export interface LifecycleScoreOptions {
  readonly config?: EngineConfig;
  readonly clinic?: Clinic;
  readonly rules?: MatchRules;
  /** Called with the share of patients scored (0..1). */
  readonly onProgress?: (done: number) => void;
}

const toEngine = (e: LifecycleTruth): LifecycleEvent => ({
  id: e.id, kind: e.kind, at: Date.parse(e.at),
  ...(e.leads ? { leads: e.leads } : {}),
  ...(e.metrics ? { metrics: e.metrics } : {}),
});

/** The devices of each patient in order: the original serial, then each replacement. */
function chains(devices: readonly DeviceReadings[]): DeviceReadings[][] {
  const out: DeviceReadings[][] = [];
  const bySerial = new Map<string, DeviceReadings[]>();
  for (const d of devices) {
    const chain = d.replaces === undefined ? undefined : bySerial.get(d.replaces);
    if (chain) chain.push(d);
    else out.push([d]);
    bySerial.set(d.device, chain ?? out[out.length - 1]!);
  }
  return out;
}

/** A device that stopped for good and was not explanted: its connectivity_loss opening. */
function silence(device: string, state: DeviceState, siteEnd: number, config: EngineConfig): AlertEpisode | null {
  if (state.lastAt === null) return null;
  const at = state.lastAt + silenceLimit(state.cadence, config).hours * HOUR_MS;
  if (at > siteEnd) return null;
  return { device, kind: 'connectivity_loss', openedAt: at, lastSeenAt: at, occurrences: 1 };
}

interface PatientRun { readonly key: string; readonly episodes: AlertEpisode[] }

function runChain(
  chain: readonly DeviceReadings[], arm: Arm, prepared: PreparedCohort, eventsOf: (device: string) => LifecycleEvent[],
  siteEnd: number, config: EngineConfig, clinic: Clinic,
): PatientRun {
  const key = chain[0]!.device;
  const episodes: AlertEpisode[] = [];
  let previous: DeviceState | null = null;
  for (const d of chain) {
    const events = arm === 'recorded' ? eventsOf(d.device) : [];
    const state = arm === 'recorded' && previous !== null ? carryOver(previous) : undefined;
    const run = runDeviceState(d.device, engineReadings(d, prepared.metrics), config, clinic, { events, ...(state ? { state } : {}) });
    episodes.push(...run.episodes);
    const explanted = events.some((e) => e.kind === 'explant');
    const silent = explanted ? null : silence(d.device, run.state, siteEnd, config);
    if (silent) episodes.push(silent);
    previous = run.state;
  }
  // Matched by patient: every serial's openings as the first serial's.
  return { key, episodes: episodes.map((e) => (e.device === key ? e : { ...e, device: key })) };
}

function emptyTally(kind: WindowTally['kind']): { -readonly [K in keyof WindowTally]: WindowTally[K] } {
  return { kind, events: 0, alerts: 0, byKind: {}, maxPerEvent: 0, eventsOverOne: 0 };
}

export function scoreLifecycle(prepared: PreparedCohort, options: LifecycleScoreOptions = {}): LifecycleScore {
  const config = options.config ?? DEFAULT_CONFIG;
  const clinic = options.clinic ?? NEXT_DAY_CLINIC;
  const rules = options.rules ?? DEFAULT_RULES;
  const lifecycle = prepared.lifecycle ?? [];
  const start = prepared.start ?? 0;

  const byDevice = new Map<string, LifecycleEvent[]>();
  for (const e of lifecycle) {
    const list = byDevice.get(e.device) ?? [];
    list.push(toEngine(e));
    byDevice.set(e.device, list);
  }
  const eventsOf = (device: string): LifecycleEvent[] => byDevice.get(device) ?? [];
  // The site's event time at the end of the run: its newest reading.
  let siteEnd = -Infinity;
  for (const d of prepared.devices) if (d.at.length > 0) siteEnd = Math.max(siteEnd, d.at[d.at.length - 1]!);

  const patientChains = chains(prepared.devices);
  const primaryOf = new Map<string, string>();
  for (const chain of patientChains) for (const d of chain) primaryOf.set(d.device, chain[0]!.device);
  const keyOf = (serial: string): string => primaryOf.get(serial) ?? serial;
  const truth: TruthEvent[] = prepared.truth.map((t) => (keyOf(t.device) === t.device ? t : { ...t, device: keyOf(t.device) }));
  const realByKey = new Map<string, TruthEvent[]>();
  for (const t of truth) {
    if (t.benign) continue;
    const list = realByKey.get(t.device) ?? [];
    list.push(t);
    realByKey.set(t.device, list);
  }
  const explained = (e: AlertEpisode): boolean => (realByKey.get(e.device) ?? []).some((t) => {
    if (t.kind !== e.kind) return false;
    const [from, to] = explainWindow(t, rules);
    return e.openedAt >= from && e.openedAt <= to;
  });
  const withEvents = new Set(lifecycle.map((e) => keyOf(e.device)));

  const runs: Record<Arm, PatientRun[]> = { recorded: [], unrecorded: [] };
  patientChains.forEach((chain, i) => {
    const recorded = runChain(chain, 'recorded', prepared, eventsOf, siteEnd, config, clinic);
    runs.recorded.push(recorded);
    // Without events the two runs are the same.
    runs.unrecorded.push(withEvents.has(recorded.key) ? runChain(chain, 'unrecorded', prepared, eventsOf, siteEnd, config, clinic) : recorded);
    options.onProgress?.((i + 1) / patientChains.length);
  });

  const windowed = lifecycle.filter((e): e is LifecycleTruth & { kind: WindowedKind } => e.kind !== 'explant');
  const eligible = countEligible(patientChains.map((c) => c[0]!.type));
  const armScore = (arm: Arm): ArmScore => {
    const byKey = new Map(runs[arm].map((r) => [r.key, r.episodes.filter((e) => !explained(e))]));
    const tallies = new Map<WindowTally['kind'], ReturnType<typeof emptyTally>>(
      [...WINDOWED_KINDS, 'all events' as const].map((k) => [k, emptyTally(k)]),
    );
    for (const e of windowed) {
      const at = Date.parse(e.at);
      const inWindow = (byKey.get(keyOf(e.device)) ?? []).filter((x) => x.openedAt > at && x.openedAt <= at + WINDOW_DAYS * DAY_MS);
      for (const t of [tallies.get(e.kind)!, tallies.get('all events')!]) {
        t.events++;
        t.alerts += inWindow.length;
        for (const x of inWindow) t.byKind[x.kind] = (t.byKind[x.kind] ?? 0) + 1;
        t.maxPerEvent = Math.max(t.maxPerEvent, inWindow.length);
        if (inWindow.length > 1) t.eventsOverOne++;
      }
    }
    const from = start + FIRST_EVENT_DAY * DAY_MS;
    const to = start + (prepared.days - WINDOW_DAYS) * DAY_MS;
    let alerts = 0;
    let quiet = 0;
    for (const [key, list] of byKey) {
      if (withEvents.has(key)) continue;
      quiet++;
      alerts += list.filter((x) => x.openedAt >= from && x.openedAt < to).length;
    }
    const episodes = runs[arm].flatMap((r) => r.episodes);
    const score: CohortScore = {
      seed: prepared.seed, profile: prepared.profile, readings: prepared.readings,
      tallies: KINDS.map((kind) => tallyKind(kind, truth, episodes, {
        days: prepared.days, patients: prepared.patients, eligiblePatients: eligible[eligibilityOf(kind)],
      }, rules)),
    };
    return {
      windows: [...tallies.values()],
      score,
      background: { alerts, patientDays: quiet * Math.max(0, (to - from) / DAY_MS) },
    };
  };
  const arms = { recorded: armScore('recorded'), unrecorded: armScore('unrecorded') };

  const events = { implant: 0, generator_change: 0, lead_revision: 0, reprogramming: 0, explant: 0 } as Record<LifecycleKind, number>;
  for (const e of lifecycle) events[e.kind]++;
  return {
    seed: prepared.seed, profile: prepared.profile, patients: prepared.patients, days: prepared.days,
    readings: prepared.readings, events, arms,
  };
}

/** One arm's figures for one event kind, seeds pooled. */
export interface WindowMeasures extends WindowTally {
  /** Unexplained openings per 100 events. */
  readonly per100Events: number;
}

export interface StormVerdict {
  readonly kind: WindowedKind | 'all events';
  readonly events: number;
  /** Unexplained openings per event in the window, recorded and not. */
  readonly recorded: number;
  readonly unrecorded: number;
  /** At most one per event, recorded; null without events. */
  readonly pass: boolean | null;
}

export interface LifecycleSection {
  readonly profile: NoiseProfile;
  readonly seeds: readonly string[];
  readonly patients: number;
  readonly days: number;
  readonly windowDays: number;
  readonly events: Readonly<Record<LifecycleKind, number>>;
  readonly arms: Readonly<Record<Arm, {
    readonly windows: readonly WindowMeasures[];
    readonly cohort: ProfileResult;
    /** Unexplained openings per 100 patient-months (30 days) of patients without events. */
    readonly backgroundPer100PatientMonths: number;
  }>>;
  readonly storm: readonly StormVerdict[];
}

function poolWindows(tallies: readonly WindowTally[]): WindowMeasures {
  const first = tallies[0]!;
  const byKind: Partial<Record<WindowAlertKind, number>> = {};
  for (const t of tallies) for (const [k, n] of Object.entries(t.byKind)) byKind[k as WindowAlertKind] = (byKind[k as WindowAlertKind] ?? 0) + n;
  const events = tallies.reduce((s, t) => s + t.events, 0);
  const alerts = tallies.reduce((s, t) => s + t.alerts, 0);
  return {
    kind: first.kind, events, alerts, byKind,
    maxPerEvent: Math.max(0, ...tallies.map((t) => t.maxPerEvent)),
    eventsOverOne: tallies.reduce((s, t) => s + t.eventsOverOne, 0),
    per100Events: events === 0 ? NaN : (100 * alerts) / events,
  };
}

/** The section of one profile from its seeds' scores. */
export function measureLifecycle(scores: readonly LifecycleScore[]): LifecycleSection {
  const first = scores[0];
  if (!first) throw new Error('measureLifecycle needs at least one score');
  const events = { implant: 0, generator_change: 0, lead_revision: 0, reprogramming: 0, explant: 0 } as Record<LifecycleKind, number>;
  for (const s of scores) for (const k of Object.keys(events) as LifecycleKind[]) events[k] += s.events[k];
  const pooled = (arm: Arm): LifecycleSection['arms'][Arm] => {
    const alerts = scores.reduce((n, s) => n + s.arms[arm].background.alerts, 0);
    const days = scores.reduce((n, s) => n + s.arms[arm].background.patientDays, 0);
    return {
      windows: first.arms[arm].windows.map((_, i) => poolWindows(scores.map((s) => s.arms[arm].windows[i]!))),
      cohort: measureProfile(first.profile, scores.map((s) => s.arms[arm].score)),
      backgroundPer100PatientMonths: days === 0 ? NaN : (100 * alerts * WINDOW_DAYS) / days,
    };
  };
  const arms = { recorded: pooled('recorded'), unrecorded: pooled('unrecorded') };
  const storm = arms.recorded.windows.map((w, i): StormVerdict => {
    const u = arms.unrecorded.windows[i]!;
    const recorded = w.events === 0 ? NaN : w.alerts / w.events;
    return { kind: w.kind, events: w.events, recorded, unrecorded: u.events === 0 ? NaN : u.alerts / u.events, pass: w.events === 0 ? null : recorded <= 1 };
  });
  return {
    profile: first.profile, seeds: scores.map((s) => s.seed), patients: first.patients, days: first.days,
    windowDays: WINDOW_DAYS, events, arms, storm,
  };
}
