// Rebuilds of device states from the database: a device first seen (or forgotten after a
// failed write) and a device with late readings (engine_pending), replayed from a
// snapshot that precedes them. A rebuild waits until no batch of the device is in
// flight; the scoring service makes batches of a device being rebuilt wait for it.
// Replays propose decisions already applied; the store skips them by trigger reading.
import type { FastifyBaseLogger } from 'fastify';
import { metricById } from '../domain/vocabulary.ts';
import { carryOver, newDeviceState } from '../engine/index.ts';
import { dayOf } from '../engine/time.ts';
import type { Db } from '../store/db.ts';
import { siteOfDevice } from '../store/devices.ts';
import type { AlertEventRow, DecisionRow, RiskChangeRow, SilenceRow } from '../store/engine-effects.ts';
import {
  applyReplay, loadHistories, pendingDevices, pendingOf, readingsAfter, snapshotBefore,
  type DeviceHistory, type ScoreUpdate,
} from '../store/engine-history.ts';
import { lifecycleOf, NO_LIFECYCLE, type DeviceLifecycle } from '../store/lifecycle.ts';
import type { EngineMetrics } from '../observability/metrics.ts';
import { isLeaseLost, type Fences } from '../store/leases.ts';
import type { DeviceConfigs } from './device-config.ts';
import { idle, takeIn, type DeviceStates, type Entry, type Tracked } from './device-state.ts';
import { loggedError } from '../util/error-message.ts';

/** At or after `p` in event order (at, then seq). */
function atOrAfter(r: { at: number; seq: number }, p: { at: number; seq: number }): boolean {
  return r.at > p.at || (r.at === p.at && r.seq >= p.seq);
}

/** Scores are stored with three decimals (float4): equal when they round alike. */
function sameScore(stored: number, score: number): boolean {
  return Math.round(stored * 1000) === Math.round(score * 1000);
}

export interface ReplayOptions {
  readonly log: FastifyBaseLogger;
  /** Called with the alert events a replay wrote (the writer reports its own). */
  readonly onAlertEvents?: (events: readonly AlertEventRow[]) => void;
  /** Readings taken in again, counted once the rebuild has committed. */
  readonly metrics?: EngineMetrics;
  /** The lease a device's state is loaded under (null: no leases, this process is alone). */
  readonly fenceOf?: (deviceId: number, e: Entry) => Fences | null;
  /** Whether this instance holds the device's lease, taking it when free (recover). */
  readonly claim?: (deviceId: number, e: Entry) => Promise<boolean>;
}

export class Replays {
  private closed = false;
  private rebuildWarnedAt = 0;
  private rebuildFailuresUnlogged = 0;

  constructor(
    private readonly db: Db,
    private readonly states: DeviceStates,
    private readonly configs: DeviceConfigs,
    private readonly opts: ReplayOptions,
  ) {}

  /** At shutdown: a rebuild that fails from now on is not logged. */
  close(): void {
    this.closed = true;
  }

  /**
   * Replay every device with late readings stored but not yet taken in: at start (a crash
   * between storing and replaying) and periodically (a replay that failed, on a device
   * that sends nothing more). Returns how many devices it replayed.
   */
  async recover(): Promise<number> {
    let n = 0;
    for (const id of await pendingDevices(this.db)) {
      const e = this.states.get(id);
      if (e?.rebuilding) continue;
      const siteId = e?.siteId ?? (await this.siteOf(id));
      if (siteId === null) continue;
      const entry = this.states.entry(id, siteId);
      if (this.opts.claim && !(await this.opts.claim(id, entry).catch(() => false))) continue;
      await this.rebuild(id, entry).then(() => n++, () => undefined);
    }
    return n;
  }

  /** Wait for every replay in progress (shutdown: after the writer has drained). */
  async drain(): Promise<void> {
    for (;;) {
      const running = [...this.states.values()].flatMap((e) => (e.rebuilding ? [e.rebuilding.catch(() => undefined)] : []));
      if (running.length === 0) return;
      await Promise.all(running);
    }
  }

  /** Rebuild a device's state from its newest usable snapshot and its stored readings. */
  rebuild(deviceId: number, e: Entry, load?: () => Promise<DeviceHistory | undefined>): Promise<void> {
    if (e.rebuilding) return e.rebuilding;
    const run = async () => {
      await idle(e);
      // A snapshot of the state before the late readings may be being written: let it land,
      // so that the replay below deletes it (it lacks them) rather than it landing after.
      if (e.saving) await e.saving;
      const history = (await load?.()) ?? (await this.history(deviceId));
      const { pending, snapshot: snap, stored, lifecycle } = history;
      const tracked: Tracked = snap ? (snap.state as Tracked) : await this.firstState(lifecycle);
      const decisions: DecisionRow[] = [];
      const risks: RiskChangeRow[] = [];
      const silences: SilenceRow[] = [];
      const scores: ScoreUpdate[] = [];
      for (const s of stored) {
        const metric = metricById(s.metric);
        if (!metric) continue;
        // The settings in force when the reading was received, as when it was first scored.
        const config = this.configs.at(deviceId, e.siteId, s.received);
        const score = takeIn(tracked, deviceId, { seq: s.seq, at: s.at, metricId: s.metric, value: s.value }, config, decisions, risks, lifecycle.events, silences);
        // The late readings' own scores, and every later reading's whose score was given
        // without them: the stored scores become those of event order, whatever the
        // arrival order was. A rebuild with nothing late (a restart) rewrites nothing.
        if (s.score === null || (pending !== null && atOrAfter(s, pending) && !sameScore(s.score, score))) scores.push({ seq: s.seq, score });
      }
      // Nothing to write when the replay proposes nothing new to the store (the usual case
      // after a clean shutdown, or for a device first seen).
      const events = scores.length > 0 || decisions.length > 0 || risks.length > 0 || pending
        ? await applyReplay(this.db, deviceId, scores, { decisions, risks, late: [], silences }, pending, this.opts.fenceOf?.(deviceId, e) ?? null)
        : [];
      e.tracked = tracked;
      e.lifecycle = lifecycle.events;
      e.snapshotDay = snap ? dayOf(snap.at) : null;
      e.dirty = stored.length > 0;
      this.opts.metrics?.engineReadings.inc({ outcome: pending ? 'replayed' : 'reloaded' }, stored.length);
      if (events.length > 0) this.opts.onAlertEvents?.(events);
      if (pending) this.opts.log.info({ device: deviceId, replayed: stored.length, scored: scores.length }, 'late readings replayed');
    };
    e.rebuilding = run()
      .catch((err: unknown) => {
        e.tracked = null;
        // Another instance took the device: take the lease again before scoring it.
        if (isLeaseLost(err)) e.fence = null;
        else if (!this.closed) this.warnRebuildFailed(err);
        throw err;
      })
      .finally(() => {
        e.rebuilding = null;
      });
    return e.rebuilding;
  }

  /**
   * Load many devices with no state at once (the first batches after a restart touch every
   * device): three queries for all of them instead of three each.
   */
  loadMany(list: ReadonlyArray<readonly [number, Entry]>): Promise<void>[] {
    let fetched: Promise<Map<number, DeviceHistory>> | null = null;
    // Read only once no batch of any of them is in flight: the database must hold them all.
    const fetchAll = () =>
      (fetched ??= Promise.all(list.map(([, e]) => idle(e))).then(() => loadHistories(this.db, list.map(([id]) => id))));
    return list.map(([id, e]) => this.rebuild(id, e, async () => (await fetchAll()).get(id)));
  }

  /** While the database is away every device's rebuild fails: one line every 5 s, with a count. */
  private warnRebuildFailed(err: unknown): void {
    const now = Date.now();
    if (now - this.rebuildWarnedAt < 5000) {
      this.rebuildFailuresUnlogged++;
      return;
    }
    this.opts.log.warn(
      { err: loggedError(err), alsoFailedSinceLastLine: this.rebuildFailuresUnlogged },
      'engine state rebuild failed; retried on the next reading',
    );
    this.rebuildWarnedAt = now;
    this.rebuildFailuresUnlogged = 0;
  }

  /** One device's pending late readings, the snapshot before them, the readings after it, its lifecycle. */
  private async history(deviceId: number): Promise<DeviceHistory> {
    const pending = await pendingOf(this.db, deviceId);
    const snapshot = await snapshotBefore(this.db, deviceId, pending);
    const stored = await readingsAfter(this.db, deviceId, snapshot);
    const lifecycle = (await lifecycleOf(this.db, [deviceId])).get(deviceId) ?? NO_LIFECYCLE;
    return { pending, snapshot, stored, lifecycle };
  }

  /**
   * The state a device starts from: nothing, or, for a generator's successor, the replaced
   * device's state at the change, carried over (engine/lifecycle.ts).
   */
  private async firstState(lifecycle: DeviceLifecycle, depth = 0): Promise<Tracked> {
    const from = lifecycle.replaces;
    // A chain of replacements is followed back a few generators; beyond, the state starts afresh.
    if (!from || depth >= 4) return { engine: newDeviceState(), risk: 'Low' };
    const old = await this.stateAt(from.deviceId, from.at, depth + 1);
    return { engine: carryOver(old.engine), risk: old.risk, ...(old.insufficient === undefined ? {} : { insufficient: old.insufficient }) };
  }

  /** A device's state after its readings up to `at` (decisions discarded): a replaced generator's at its change. */
  private async stateAt(deviceId: number, at: number, depth: number): Promise<Tracked> {
    const lifecycle = (await lifecycleOf(this.db, [deviceId])).get(deviceId) ?? NO_LIFECYCLE;
    const snap = await snapshotBefore(this.db, deviceId, { at, seq: Number.MAX_SAFE_INTEGER });
    const tracked: Tracked = snap ? (structuredClone(snap.state) as Tracked) : await this.firstState(lifecycle, depth);
    const siteId = this.states.get(deviceId)?.siteId ?? (await this.siteOf(deviceId));
    if (siteId === null) throw new Error(`device ${deviceId} replaced by a generator change does not exist`);
    for (const s of await readingsAfter(this.db, deviceId, snap)) {
      if (s.at > at) break;
      if (!metricById(s.metric)) continue;
      takeIn(tracked, deviceId, { seq: s.seq, at: s.at, metricId: s.metric, value: s.value }, this.configs.at(deviceId, siteId, s.received), [], [], lifecycle.events);
    }
    return tracked;
  }

  private async siteOf(deviceId: number): Promise<number | null> {
    return siteOfDevice(this.db, deviceId);
  }
}
