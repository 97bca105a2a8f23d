// The per-device state cache: the engine's state of each device seen, with what the
// scoring service needs to keep it equal to the device's stored readings (rows in
// flight, a rebuild in progress, snapshot bookkeeping).
import { metricById } from '../domain/vocabulary.ts';
import { hfStatus, processReading, type DeviceState, type EngineConfig, type LifecycleEvent, type RiskStatus } from '../engine/index.ts';
import { dayOf } from '../engine/time.ts';
import type { DecisionRow, RiskChangeRow, SilenceRow } from '../store/engine-effects.ts';
import type { SnapshotRow } from '../store/engine-history.ts';

/** What is kept per device and snapshotted: the engine's state and the last risk status reported. */
export interface Tracked {
  engine: DeviceState;
  risk: RiskStatus;
  /**
   * Whether that Low was given on too little data to judge (see hfStatus). Absent until the
   * device's first reading, and in snapshots saved before it existed: either way the next
   * reading reports it.
   */
  insufficient?: boolean;
}

export interface Entry {
  tracked: Tracked | null;
  /**
   * The fence of this instance's lease on the device (scoring/leases.ts) that `tracked` was
   * loaded under; null when not held (or when the service runs without leases).
   */
  fence: number | null;
  /** Rows of this device submitted to the writer and not yet settled. */
  inflight: number;
  /** Exclusive work on the device: a rebuild, or its lease being taken or handed over. Batches wait. */
  rebuilding: Promise<void> | null;
  /** A snapshot of this state being written: a replay waits for it, then deletes it if stale. */
  saving: Promise<void> | null;
  idleWaiters: Array<() => void>;
  /** Event day of the newest snapshot (saved or loaded). */
  snapshotDay: number | null;
  /** Taken in readings since the last snapshot. */
  dirty: boolean;
  siteId: number;
  /** Wall clock of the last reading scored (or of the entry's creation): idle entries are evicted. */
  usedAt: number;
  /** The device's lifecycle events in event order, as loaded with its state (store/lifecycle.ts). */
  lifecycle: readonly LifecycleEvent[];
}

export class DeviceStates {
  private readonly entries = new Map<number, Entry>();

  /** Devices tracked in memory. */
  get size(): number {
    return this.entries.size;
  }

  get(deviceId: number): Entry | undefined {
    return this.entries.get(deviceId);
  }

  /** The device's entry, created (with no state) on first sight. */
  entry(deviceId: number, siteId: number): Entry {
    let e = this.entries.get(deviceId);
    if (!e) {
      e = { tracked: null, fence: null, inflight: 0, rebuilding: null, saving: null, idleWaiters: [], snapshotDay: null, dirty: false, siteId, usedAt: Date.now(), lifecycle: [] };
      this.entries.set(deviceId, e);
    } else if (e.siteId !== siteId) e.siteId = siteId; // moved site (`device move`): the new site's settings from now
    return e;
  }

  /**
   * Forget the device if `e` is still its entry and nothing uses it: no rows in flight, no
   * rebuild, nobody waiting, and no reading taken in since its last snapshot. Synchronous,
   * so no batch can be between fetching the entry and counting its rows in flight.
   */
  evict(deviceId: number, e: Entry): boolean {
    if (this.entries.get(deviceId) !== e || e.inflight > 0 || e.rebuilding || e.idleWaiters.length > 0 || e.dirty) return false;
    return this.entries.delete(deviceId);
  }

  /** Forget the device if `e` is still its entry, whatever it holds (its lease was handed over). */
  remove(deviceId: number, e: Entry): void {
    if (this.entries.get(deviceId) === e) this.entries.delete(deviceId);
  }

  [Symbol.iterator](): IterableIterator<[number, Entry]> {
    return this.entries[Symbol.iterator]();
  }

  values(): IterableIterator<Entry> {
    return this.entries.values();
  }

  /** Event time of the newest reading taken in, per tracked device, with its site. */
  lastSeen(): Array<{ deviceId: number; siteId: number; lastAt: number }> {
    const out = [];
    for (const [deviceId, e] of this.entries) {
      const at = e.tracked?.engine.lastAt;
      if (at != null) out.push({ deviceId, siteId: e.siteId, lastAt: at });
    }
    return out;
  }

  /** The rows have settled: wake whoever waits for their device to be idle. */
  release(rows: readonly { readonly deviceId: number }[]): void {
    for (const r of rows) {
      const e = this.entries.get(r.deviceId);
      if (e && --e.inflight === 0) for (const w of e.idleWaiters.splice(0)) w();
    }
  }
}

/** Snapshot rows of the entries with a state to save, and those entries. */
export function snapshotRows(list: ReadonlyArray<readonly [number, Entry]>): { rows: SnapshotRow[]; taken: Array<readonly [number, Entry]> } {
  const rows: SnapshotRow[] = [];
  const taken: Array<readonly [number, Entry]> = [];
  for (const pair of list) {
    const [deviceId, e] = pair;
    const t = e.tracked;
    if (!t || t.engine.lastAt === null || t.engine.lastSeq === null) continue;
    rows.push({ deviceId, at: t.engine.lastAt, seq: t.engine.lastSeq, state: JSON.stringify(t) });
    taken.push(pair);
  }
  return { rows, taken };
}

/** Resolves when no batch of the device is in flight. */
export function idle(e: Entry): Promise<void> {
  return e.inflight > 0 ? new Promise<void>((resolve) => e.idleWaiters.push(resolve)) : Promise.resolve();
}

/**
 * One reading into a device's state: its score, and the decisions, risk change and ended
 * silence (into `silences`, when given) it causes. A
 * change of sufficiency alone is reported too (statusChanged false), so the patient pages learn
 * that a Low has become trustworthy, or was never so, without a status change to carry it.
 */
export function takeIn(
  t: Tracked,
  deviceId: number,
  r: { seq: number; at: number; metricId: number; value: number },
  config: EngineConfig,
  decisions: DecisionRow[],
  risks: RiskChangeRow[],
  lifecycle?: readonly LifecycleEvent[],
  silences?: SilenceRow[],
): number {
  const metric = metricById(r.metricId)!.name;
  const result = processReading(t.engine, { seq: r.seq, at: r.at, metric, value: r.value }, config, lifecycle);
  for (const decision of result.decisions) decisions.push({ deviceId, decision });
  if (result.silence && silences) silences.push({ deviceId, silence: result.silence });
  const status = hfStatus(t.engine, dayOf(r.at), config);
  const insufficient = status === 'insufficient_data';
  const risk = insufficient ? 'Low' : status;
  if (risk !== t.risk || insufficient !== t.insufficient) {
    risks.push({
      deviceId, at: r.at, seq: r.seq, status: risk, previous: t.risk, score: t.engine.hf.lastScore,
      statusChanged: risk !== t.risk, insufficient,
    });
    t.risk = risk;
    t.insufficient = insufficient;
  }
  // Three decimals are all a score means; shorter to send to the database.
  return Math.round(result.score * 1000) / 1000;
}
