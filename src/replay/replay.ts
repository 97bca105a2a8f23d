// What-if over stored history: every selected device's readings, in event order, through the
// pure engine twice (the settings in force now, and the same with a proposed override on
// top), compared with each other and with the alerts the service stored. Reads only.
import { metricById } from '../domain/vocabulary.ts';
import {
  DEFAULT_CONFIG, carryOver, mergeConfig, newDeviceState, overrideProblems, processReading,
  type AlertDecision, type DeepPartial, type DeviceState, type EngineConfig, type LifecycleEvent,
} from '../engine/index.ts';
import type { Db } from '../store/db.ts';
import { lifecycleOf, NO_LIFECYCLE } from '../store/lifecycle.ts';
import { knownSiteCodes, replayDevices, replayReadings, storedAlerts } from '../store/replay.ts';
import pino from 'pino';
import { DeviceConfigs } from '../scoring/device-config.ts';

export interface ReplaySelection {
  /** Site codes; none = every site. */
  readonly sites?: readonly string[];
  /** Patient ids, `p-N`; none = every patient (and devices enrolled to none). */
  readonly patients?: readonly string[];
  /** Event-time window, epoch ms: openings outside it are not counted (the engine still learns from before `from`). */
  readonly from?: number | null;
  readonly to?: number | null;
}

export interface ReplayDevice {
  readonly id: number;
  readonly serial: string;
  readonly siteId: number;
  readonly site: string;
  readonly patient: string | null;
}

export interface Opening {
  readonly kind: string;
  readonly priority: string;
  readonly patient: string | null;
  readonly device: string;
  readonly triggerSeq: number;
  readonly at: string;
  readonly summary: string;
}

/** Clinicians' resolutions that say an alert found something to act on, and those that say not. */
const ACTIONABLE = new Set(['actioned', 'patient_contacted']);
const NOT_ACTIONABLE = new Set(['not_actionable', 'duplicate']);

export interface KindSummary {
  /** Alerts the service stored, opened in the window. */
  readonly stored: number;
  readonly current: number;
  readonly proposed: number;
  readonly gained: number;
  readonly lost: number;
  /** Current-settings openings that are stored alerts (same device, kind and opening reading). */
  readonly reproduced: number;
  /** Over stored alerts a clinician resolved as actionable or not: share of openings that were actionable, and share of actionable ones opened. */
  readonly ppv: { readonly current: number | null; readonly proposed: number | null };
  readonly sensitivity: { readonly current: number | null; readonly proposed: number | null };
}

export interface ReplayResult {
  readonly devices: number;
  readonly readings: number;
  readonly seconds: number;
  readonly kinds: Record<string, KindSummary>;
  readonly gained: readonly Opening[];
  readonly lost: readonly Opening[];
  /** Current-settings openings the service did not store, and stored alerts the replay did not open. */
  readonly unmatched: { readonly replayOnly: readonly Opening[]; readonly storedOnly: readonly Opening[] };
}

export class ReplayError extends Error {}

/** The proposed override, refused when it is malformed or would switch a hard limit off. */
export function checkProposal(override: unknown): DeepPartial<EngineConfig> {
  const problems = overrideProblems(override);
  if (problems.length > 0) throw new ReplayError(`the proposed settings are refused: ${problems.join('; ')}`);
  return override as DeepPartial<EngineConfig>;
}

export async function selectDevices(db: Db, sel: ReplaySelection): Promise<ReplayDevice[]> {
  const patientIds = (sel.patients ?? []).map((p) => {
    const m = /^p-(\d{1,9})$/.exec(p);
    if (!m) throw new ReplayError(`not a patient id: ${p} (expected p-N)`);
    return Number(m[1]);
  });
  const rows = await replayDevices(db, sel.sites ?? [], patientIds);
  if (sel.sites?.length) {
    const known = await knownSiteCodes(db, sel.sites);
    const missing = sel.sites.filter((c) => !known.includes(c));
    if (missing.length) throw new ReplayError(`no site ${missing.join(', ')}`);
  }
  return rows.map((r) => ({ id: r.id, serial: r.serial, siteId: r.site_id, site: r.code, patient: r.patient_id === null ? null : `p-${r.patient_id}` }));
}

const key = (kind: string, seq: number): string => `${kind}/${seq}`;

export interface ReplayProgress { readonly devicesDone: number; readonly devicesTotal: number; readonly readings: number }

/**
 * The proposed settings: an override merged over each device's current configuration (the
 * CLI's `--settings`), or a function giving a device's proposed configuration (a preview of a
 * site's or a patient's override replacing the stored one).
 */
export type Proposal = DeepPartial<EngineConfig> | ((device: ReplayDevice, current: EngineConfig) => EngineConfig);

type Row = { seq: number; at: number; metric: number; value: number; received: number };

/**
 * The two engines' states a device starts from: new ones, or for a generator's successor the
 * replaced device's at the change, each under its own settings, carried over (as the service
 * does: src/scoring/replays.ts). Follows a chain of replacements a few generators back.
 */
export async function firstStates(
  db: Db, replaces: { deviceId: number; at: number } | null, current: ConfigAt, next: ConfigAt, depth = 0,
): Promise<[DeviceState, DeviceState]> {
  if (!replaces || depth >= 4) return [newDeviceState(), newDeviceState()];
  const lifecycle = (await lifecycleOf(db, [replaces.deviceId])).get(replaces.deviceId) ?? NO_LIFECYCLE;
  const [a, b] = await firstStates(db, lifecycle.replaces, current, next, depth + 1);
  for (const r of await replayReadings(db, replaces.deviceId, replaces.at + 1)) {
    const metric = metricById(r.metric)?.name;
    if (!metric) continue;
    const reading = { seq: r.seq, at: r.at, metric, value: r.value };
    processReading(a, reading, current(r.received), lifecycle.events);
    processReading(b, reading, next(r.received), lifecycle.events);
  }
  return [carryOver(a), carryOver(b)];
}

/** A device's configuration for a reading received at a time. */
type ConfigAt = (at: number) => EngineConfig;

/**
 * Replays the selected devices' stored readings; `proposed` (checked with checkProposal) goes
 * on top of each device's current settings. Connectivity alerts are left out: they are a
 * site-level rule over arrival, not a function of one device's readings.
 */
export async function replay(
  db: Db, devices: readonly ReplayDevice[], sel: ReplaySelection, proposed: Proposal | null,
  progress?: (p: ReplayProgress) => void,
): Promise<ReplayResult> {
  const started = performance.now();
  // The same settings the service scores with: defaults, site override, patient override.
  const configs = new DeviceConfigs(db, DEFAULT_CONFIG, pino({ level: 'silent' }));
  await configs.refresh();
  const from = sel.from ?? -Infinity;
  const to = sel.to ?? Infinity;
  const counts = new Map<string, { stored: number; current: number; proposed: number; gained: number; lost: number; reproduced: number;
    tp: [number, number]; fp: [number, number]; actionable: number; found: [number, number] }>();
  const count = (kind: string) => {
    let c = counts.get(kind);
    if (!c) counts.set(kind, (c = { stored: 0, current: 0, proposed: 0, gained: 0, lost: 0, reproduced: 0, tp: [0, 0], fp: [0, 0], actionable: 0, found: [0, 0] }));
    return c;
  };
  const gained: Opening[] = [];
  const lost: Opening[] = [];
  const replayOnly: Opening[] = [];
  const storedOnly: Opening[] = [];
  let readings = 0;
  let done = 0;
  progress?.({ devicesDone: 0, devicesTotal: devices.length, readings: 0 });
  // The next device's rows are read while this one's run through the engine: PostgreSQL and
  // the engine work at once (a rejection is caught here and thrown when that device is reached).
  const lifecycles = await lifecycleOf(db, devices.map((d) => d.id));
  const fetchRows = (i: number): Promise<Row[]> => {
    const p = i < devices.length ? replayReadings(db, devices[i]!.id, sel.to ?? null) : Promise.resolve([]);
    p.catch(() => undefined);
    return p;
  };
  let nextRows = fetchRows(0);
  // An override proposed on top: merged once per configuration in force (settings versions).
  const onTop = new WeakMap<EngineConfig, EngineConfig>();
  for (const [i, d] of devices.entries()) {
    // Under the settings in force when each reading was received (store/engine-settings.ts),
    // as the service scored it; a preview's proposal (a function) applies to the whole history.
    const current: ConfigAt = (at) => configs.at(d.id, d.siteId, at);
    let next: ConfigAt = current;
    if (typeof proposed === 'function') {
      const fixed = proposed(d, configs.of(d.id, d.siteId));
      next = () => fixed;
    } else if (proposed) {
      next = (at) => {
        const c = current(at);
        let merged = onTop.get(c);
        if (!merged) onTop.set(c, (merged = mergeConfig(c, proposed)));
        return merged;
      };
    }
    const rows = await nextRows;
    nextRows = fetchRows(i + 1);
    // Lifecycle events are inputs in event time, as in the service (src/engine/lifecycle.ts).
    const lifecycle = lifecycles.get(d.id) ?? NO_LIFECYCLE;
    const events: readonly LifecycleEvent[] = lifecycle.events;
    const [a, b] = await firstStates(db, lifecycle.replaces, current, next);
    const openA = new Map<string, AlertDecision>();
    const openB = new Map<string, AlertDecision>();
    for (const r of rows) {
      const metric = metricById(r.metric)?.name;
      if (!metric) continue;
      const reading = { seq: r.seq, at: r.at, metric, value: r.value };
      const inWindow = reading.at >= from && reading.at < to;
      // One pass over the rows, each reading through both engines: the openings inside the window.
      const take = (state: DeviceState, config: EngineConfig, open: Map<string, AlertDecision>): void => {
        for (const dec of processReading(state, reading, config, events).decisions) if (dec.action === 'open' && inWindow) open.set(key(dec.kind, dec.trigger.seq), dec);
      };
      take(a, current(r.received), openA);
      if (proposed) take(b, next(r.received), openB);
    }
    readings += rows.length;
    if (!proposed) for (const [k, v] of openA) openB.set(k, v);
    const opening = (dec: AlertDecision): Opening => ({
      kind: dec.kind, priority: dec.priority, patient: d.patient, device: d.serial, triggerSeq: dec.trigger.seq,
      at: new Date(dec.trigger.at).toISOString(), summary: dec.summary,
    });
    const stored = new Map((await storedAlerts(db, d.id)).filter((s) => s.at.getTime() >= from && s.at.getTime() < to).map((s) => [key(s.kind, s.seq), s]));
    for (const [k, dec] of openA) {
      const c = count(dec.kind);
      c.current++;
      if (stored.has(k)) c.reproduced++;
      else replayOnly.push(opening(dec));
      if (!openB.has(k)) {
        c.lost++;
        lost.push(opening(dec));
      }
    }
    for (const [k, dec] of openB) {
      const c = count(dec.kind);
      c.proposed++;
      if (!openA.has(k)) {
        c.gained++;
        gained.push(opening(dec));
      }
    }
    for (const [k, s] of stored) {
      const c = count(s.kind);
      c.stored++;
      if (!openA.has(k)) storedOnly.push({ kind: s.kind, priority: s.priority, patient: d.patient, device: d.serial, triggerSeq: s.seq, at: s.at.toISOString(), summary: s.summary });
      const yes = s.resolution !== null && ACTIONABLE.has(s.resolution);
      const no = s.resolution !== null && NOT_ACTIONABLE.has(s.resolution);
      [openA, openB].forEach((set, i) => {
        if (!set.has(k)) return;
        if (yes) c.tp[i]!++;
        if (no) c.fp[i]!++;
      });
      if (yes) {
        c.actionable++;
        if (openA.has(k)) c.found[0]++;
        if (openB.has(k)) c.found[1]++;
      }
    }
    done++;
    progress?.({ devicesDone: done, devicesTotal: devices.length, readings });
  }
  const ratio = (n: number, d: number): number | null => (d > 0 ? n / d : null);
  const kinds: Record<string, KindSummary> = {};
  for (const [kind, c] of [...counts].sort(([x], [y]) => (x < y ? -1 : 1))) {
    kinds[kind] = {
      stored: c.stored, current: c.current, proposed: c.proposed, gained: c.gained, lost: c.lost, reproduced: c.reproduced,
      ppv: { current: ratio(c.tp[0], c.tp[0] + c.fp[0]), proposed: ratio(c.tp[1], c.tp[1] + c.fp[1]) },
      sensitivity: { current: ratio(c.found[0], c.actionable), proposed: ratio(c.found[1], c.actionable) },
    };
  }
  const byTime = (x: Opening, y: Opening) => (x.at < y.at ? -1 : x.at > y.at ? 1 : 0);
  return {
    devices: devices.length, readings, seconds: (performance.now() - started) / 1000, kinds,
    gained: gained.sort(byTime), lost: lost.sort(byTime),
    unmatched: { replayOnly: replayOnly.sort(byTime), storedOnly: storedOnly.sort(byTime) },
  };
}
