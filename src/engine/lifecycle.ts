// A device's life as engine input: implant, generator change, lead revision, reprogramming and
// explant, each at its event time. They are applied in event order between readings (a reading
// first takes in every event at or before its own time), so a state stays a pure function of
// the device's readings and events, and a replay gives the same result.
//
// - implant: the leads' baselines start learning leadSettleDays after it (lead maturation), and
//   thoracic impedance counts pocketSettleDays after it (OptiVol collects from day 34).
// - generator change: the new serial's state starts from the old one's (carryOver): the
//   patient's baselines, leads and heart-failure history go on; battery and the new can's
//   thoracic impedance start again, the impedance re-anchored after reanchorDays so the
//   heart-failure rules keep their baseline instead of learning for a month.
// - lead revision: the revised leads' baselines and lead-integrity state restart, settling
//   leadSettleDays.
// - reprogramming: the named metrics' baselines restart at once (a new pacing vector's
//   impedance, a new output's battery longevity estimate); nothing settles.
// - explant: the device's readings after it decide nothing.
import type { EngineConfig } from './config.ts';
import { newBatteryState } from './detectors/battery.ts';
import { newLeadState } from './detectors/lead.ts';
import { newHfState } from './hf/risk.ts';
import { newDeviceState } from './state.ts';
import { DAY_MS } from './time.ts';
import type { DeviceState } from './types.ts';

export const LIFECYCLE_KINDS = ['implant', 'generator_change', 'lead_revision', 'reprogramming', 'explant'] as const;
export type LifecycleKind = (typeof LIFECYCLE_KINDS)[number];

export const LEADS = ['ra', 'rv', 'lv', 'shock'] as const;
export type Lead = (typeof LEADS)[number];

/** The metrics that describe each lead (its impedance, capture threshold and sensed amplitude). */
export const LEAD_METRICS: Readonly<Record<Lead, readonly string[]>> = {
  ra: ['ra_lead_impedance', 'ra_capture_threshold', 'p_wave_amplitude'],
  rv: ['rv_lead_impedance', 'rv_capture_threshold', 'r_wave_amplitude'],
  lv: ['lv_lead_impedance', 'lv_capture_threshold'],
  shock: ['shock_impedance'],
};

/** The generator's own metrics: a new generator starts them again. */
const GENERATOR_METRICS = ['battery_voltage', 'battery_longevity', 'battery_status', 'charge_time'];

const POCKET_METRIC = 'thoracic_impedance';

export interface LifecycleEvent {
  /** Orders events of the same time (the store's id). */
  readonly id: number;
  readonly kind: LifecycleKind;
  /** Event time, epoch ms. */
  readonly at: number;
  /** implant, lead_revision and reprogramming: the leads concerned (implant: all when absent). */
  readonly leads?: readonly Lead[];
  /** reprogramming: metrics whose baselines restart (battery_longevity when neither is given). */
  readonly metrics?: readonly string[];
}

/** Event order: time, then id. */
function after(e: LifecycleEvent, mark: { at: number; id: number } | undefined): boolean {
  return mark === undefined || e.at > mark.at || (e.at === mark.at && e.id > mark.id);
}

/**
 * Takes in every event of `events` (sorted in event order) not yet taken in and at or before
 * `at`. Called before each reading; O(1) when nothing is due.
 */
export function applyDue(state: DeviceState, events: readonly LifecycleEvent[] | undefined, at: number, config: EngineConfig): void {
  if (!events || events.length === 0) return;
  for (const e of events) {
    if (e.at > at) break;
    if (after(e, state.lifecycle)) applyLifecycle(state, e, config);
  }
}

/** One event into the state (in place). */
export function applyLifecycle(state: DeviceState, e: LifecycleEvent, config: EngineConfig): void {
  const c = config.lifecycle;
  switch (e.kind) {
    case 'implant':
      for (const lead of e.leads ?? LEADS) restartLead(state, lead, e.at + c.leadSettleDays * DAY_MS, config);
      settle(state, POCKET_METRIC, e.at + c.pocketSettleDays * DAY_MS);
      restartImpedanceRisk(state);
      break;
    case 'generator_change':
      for (const m of GENERATOR_METRICS) delete state.baselines[m];
      state.battery = newBatteryState();
      reanchor(state, e.at + c.reanchorDays * DAY_MS);
      break;
    case 'lead_revision':
      for (const lead of e.leads ?? []) restartLead(state, lead, e.at + c.leadSettleDays * DAY_MS, config);
      break;
    case 'reprogramming': {
      const metrics = new Set(e.metrics ?? []);
      for (const lead of e.leads ?? []) for (const m of LEAD_METRICS[lead]) metrics.add(m);
      if (metrics.size === 0) metrics.add('battery_longevity');
      for (const m of metrics) {
        delete state.baselines[m];
        if (m === 'battery_longevity') state.battery.longevity = newBatteryState().longevity;
      }
      for (const lead of e.leads ?? []) resetLeadIntegrity(state, lead, config);
      break;
    }
    case 'explant':
      state.endedAt = e.at;
      break;
  }
  state.lifecycle = { at: e.at, id: e.id };
}

/**
 * The first state of a generator's successor: what belongs to the patient and the leads goes on
 * (baselines, lead state, rhythm, heart-failure history and baselines, transmission cadence,
 * conditions resolved while present); the alerts the engine held open were the old serial's,
 * and its readings' order was its own.
 * The generator change itself is then applied as the new device's first event.
 */
export function carryOver(previous: DeviceState): DeviceState {
  const next = newDeviceState();
  const copy = structuredClone(previous);
  next.baselines = copy.baselines;
  next.leads = copy.leads;
  next.af = copy.af;
  next.crt = copy.crt;
  // The heart-failure state goes on, unlatched: an alert latched on the old serial stays open
  // there, and one still warranted opens on the new one.
  next.hf = { ...newHfState(), ...copy.hf, latched: false, daysBelowRecovery: 0 };
  if (copy.cadence) next.cadence = copy.cadence;
  if (copy.settle) next.settle = copy.settle;
  // A condition a clinician resolved while it persisted (permanent AF, a lead being watched)
  // stays resolved on the new generator until it is absent for rearmDays; the old battery's
  // and the old serial's silence are not the new generator's.
  for (const kind of Object.keys(copy.resolved) as (keyof typeof copy.resolved)[]) {
    if (kind === 'battery' || kind === 'connectivity_loss') continue;
    next.resolved[kind] = copy.resolved[kind]!;
    const day = copy.lastFinding[kind];
    if (day !== undefined) next.lastFinding[kind] = day;
  }
  return next;
}

/** Whether `metric` is still settling at `at` (its entry is dropped once it has settled). */
export function settling(state: DeviceState, metric: string, at: number): boolean {
  const until = state.settle?.[metric];
  if (until === undefined) return false;
  if (at < until) return true;
  delete state.settle![metric];
  if (Object.keys(state.settle!).length === 0) delete state.settle;
  return false;
}

function settle(state: DeviceState, metric: string, until: number): void {
  (state.settle ??= {})[metric] = until;
  delete state.baselines[metric];
}

function restartLead(state: DeviceState, lead: Lead, until: number, config: EngineConfig): void {
  for (const m of LEAD_METRICS[lead]) settle(state, m, until);
  resetLeadIntegrity(state, lead, config);
}

function resetLeadIntegrity(state: DeviceState, lead: Lead, config: EngineConfig): void {
  if (state.leads[lead]) state.leads[lead] = newLeadState(config.lead.shortVvDays);
}

/** The fluid index and the impedance input learn again from the first value after settling. */
function restartImpedanceRisk(state: DeviceState): void {
  const hf = state.hf;
  hf.reference = null;
  hf.fluidIndex = 0;
  hf.impedanceDays = 0;
  hf.lastImpedanceDay = null;
  delete hf.inputs[POCKET_METRIC];
  delete hf.anchor;
}

function reanchor(state: DeviceState, untilAt: number): void {
  const hf = state.hf;
  const from = hf.inputs[POCKET_METRIC]?.smooth ?? hf.reference;
  hf.fluidIndex = 0;
  hf.anchor = { untilAt, from, sum: 0, n: 0 };
  // The reading-level baseline (scores) learns the new can like any new metric.
  delete state.baselines[POCKET_METRIC];
}

/**
 * A thoracic impedance value while the heart-failure state is re-anchoring: true when it is
 * held (collected for the new level), false when the anchor is done (and applied) or absent.
 */
export function anchorImpedance(state: DeviceState, value: number, at: number): boolean {
  const a = state.hf.anchor;
  if (!a) return false;
  if (at < a.untilAt) {
    a.sum += value;
    a.n += 1;
    return true;
  }
  const hf = state.hf;
  delete hf.anchor;
  if (a.n === 0 || a.from === null) {
    restartImpedanceRisk(state);
    return false;
  }
  const shift = a.sum / a.n - a.from;
  const x = hf.inputs[POCKET_METRIC];
  if (x) {
    x.raw += shift;
    x.prev += shift;
    x.smooth += shift;
    // No median yet (NaN in memory, null in a snapshot): it is computed from the shifted ring.
    if (typeof x.median === 'number' && Number.isFinite(x.median)) x.median += shift;
    for (let i = 0; i < x.ring.length; i++) x.ring[i] = x.ring[i]! + shift;
  }
  if (hf.reference !== null) hf.reference += shift;
  hf.fluidIndex = 0;
  return false;
}
