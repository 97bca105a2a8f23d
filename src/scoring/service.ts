// The engine in the service: one in-memory state per device, kept equal to "the
// device's stored readings, taken in in event-time order".
//
// In-order readings are scored BEFORE they are written, so the score and the alert
// decisions go into the same statement as the reading (no second write per reading; the
// decisions into the alert outbox, applied just after: alert-applier.ts).
// Everything else keeps that equality true:
// - a reading that does not come after the state (a resend or a late reading) is
//   written unscored; if it was new, the statement also records it in
//   engine_pending, and the device is replayed from a snapshot that precedes it;
// - a batch whose write fails leaves the state ahead of the database: the device is
//   marked stale and rebuilt from the database before it scores again;
// - a rebuild waits until no batch of the device is in flight, and batches of a device
//   being rebuilt wait for it.
// Replays propose decisions already applied; the store skips them by trigger reading.
//
// With several instances on one database, a device is scored only by the instance holding
// its lease (leases.ts); every write of its state carries the lease's fence.
//
// The state cache is device-state.ts, rebuilds and replays replays.ts, the per-device
// configuration device-config.ts, snapshots and eviction state-saver.ts; this module scores.
import type { FastifyBaseLogger } from 'fastify';
import { comesAfter, type DeviceState, type EngineConfig } from '../engine/index.ts';
import type { Db } from '../store/db.ts';
import type { EngineMetrics } from '../observability/metrics.ts';
import type { AlertEventRow, DecisionRow, EngineEffects, ReadingKey, RiskChangeRow, SilenceRow } from '../store/engine-effects.ts';
import type { Fences } from '../store/leases.ts';
import { DeviceConfigs } from './device-config.ts';
import { DeviceStates, takeIn, type Entry } from './device-state.ts';
import { StateSaver } from './state-saver.ts';
import { Ownership } from './ownership.ts';
import { Replays } from './replays.ts';
import type { DeviceLeases } from './leases.ts';

export type { Tracked } from './device-state.ts';

export interface ScoreInput {
  readonly deviceId: number;
  readonly siteId: number;
  readonly seq: number;
  readonly at: number;
  readonly metricId: number;
  readonly value: number;
}

export interface Scored {
  /** Per input row: its score, or null when it did not come after its device's state. */
  readonly scores: (number | null)[];
  readonly effects: EngineEffects;
  readonly deviceIds: readonly number[];
  /** The leases the states were loaded under: the write is refused if one has moved. */
  readonly fences: Fences | null;
}

export interface ScoringOptions {
  readonly config: EngineConfig;
  /** Event days between two snapshots of a device. */
  readonly snapshotEveryDays: number;
  /** Snapshots older than this before a device's newest are deleted. */
  readonly snapshotKeepDays: number;
  readonly log: FastifyBaseLogger;
  /** Called with the alert events a replay wrote (the writer reports its own). */
  readonly onAlertEvents?: (events: readonly AlertEventRow[]) => void;
  /** Decisions and readings counted once their batch has committed. */
  readonly metrics?: EngineMetrics;
  /** Device ownership across instances; without it this process assumes it is the only one. */
  readonly leases?: DeviceLeases;
  /** Told to a batch refused because a device could not be taken over in time. */
  readonly retryAfterMs?: number;
}

export class ScoringService {
  private readonly states = new DeviceStates();
  private readonly configs: DeviceConfigs;
  private readonly replays: Replays;
  private readonly saver: StateSaver;
  /** Device leases across instances; null when this process is alone. */
  private readonly ownership: Ownership | null;

  constructor(
    private readonly db: Db,
    private readonly opts: ScoringOptions,
  ) {
    this.configs = new DeviceConfigs(db, opts.config, opts.log);
    this.ownership = opts.leases
      ? new Ownership(db, this.states, opts.leases, { snapshotKeepDays: opts.snapshotKeepDays, retryAfterMs: opts.retryAfterMs ?? 1000 })
      : null;
    this.saver = new StateSaver(db, this.states, this.ownership, opts);
    const own = this.ownership;
    this.replays = new Replays(db, this.states, this.configs, {
      ...opts,
      ...(own ? { fenceOf: (id: number, e: Entry) => own.fenceOf([[id, e]]), claim: (id: number, e: Entry) => own.claim(id, e) } : {}),
    });
  }

  /** The fences of these entries' leases (null without leases). */
  private fenceOf(list: ReadonlyArray<readonly [number, Entry]>): Fences | null {
    return this.ownership?.fenceOf(list) ?? null;
  }


  /** Devices tracked in memory. */
  get size(): number {
    return this.states.size;
  }

  /** Event time of the newest reading taken in, per tracked device, with its site. */
  lastSeen(): Array<{ deviceId: number; siteId: number; lastAt: number }> {
    return this.states.lastSeen();
  }

  /** A device's configuration, and its engine state while held in memory (the connectivity check). */
  deviceView(deviceId: number, siteId: number): { config: EngineConfig; state: DeviceState | null } {
    const e = this.states.get(deviceId);
    return { config: this.configs.of(deviceId, siteId), state: e && !e.rebuilding ? (e.tracked?.engine ?? null) : null };
  }

  /**
   * Wait until every device of `rows` has a state, then score them and call `submit`
   * in the same synchronous step: nothing can rebuild a device between its scoring and
   * the submission of its rows. `submit` must enqueue synchronously.
   */
  async scoreAndSubmit<T extends { lateInserted: readonly ReadingKey[] }>(
    rows: readonly ScoreInput[],
    submit: (scored: Scored) => Promise<T>,
    /** Throws to refuse the batch before its rows touch any state (e.g. overload). */
    admit: () => void = () => undefined,
  ): Promise<T> {
    const devices = new Map<number, number>();
    for (const r of rows) devices.set(r.deviceId, r.siteId);
    for (;;) {
      const waits: Promise<void>[] = [];
      const missing: Array<[number, Entry]> = [];
      const unleased: Array<[number, Entry]> = [];
      for (const [id, site] of devices) {
        const e = this.states.entry(id, site);
        if (e.rebuilding) waits.push(e.rebuilding);
        else if (this.ownership && e.fence === null) unleased.push([id, e]);
        else if (!e.tracked) missing.push([id, e]);
      }
      if (unleased.length > 0) waits.push(this.ownership!.lease(unleased));
      if (missing.length === 1) waits.push(this.replays.rebuild(missing[0]![0], missing[0]![1]));
      else if (missing.length > 1) waits.push(...this.replays.loadMany(missing));
      if (waits.length === 0) break;
      await Promise.all(waits);
    }
    admit();
    const scored = this.score(rows, [...devices.keys()]);
    let pending: Promise<T>;
    try {
      pending = submit(scored);
    } catch (e) {
      pending = Promise.reject(e);
    }
    return pending.then(
      (result) => {
        this.settle(scored, rows, result.lateInserted);
        return result;
      },
      (err: unknown) => {
        this.fail(scored, rows);
        throw err;
      },
    );
  }





  /**
   * Replay every device with late readings stored but not yet taken in: at start (a crash
   * between storing and replaying) and periodically (a replay that failed, on a device
   * that sends nothing more). Returns how many devices it replayed. With leases, only
   * devices this instance holds or can take at once: their holder replays the others.
   */
  recover(): Promise<number> {
    return this.replays.recover();
  }


  /** Wait for every replay in progress (shutdown: after the writer has drained). */
  drain(): Promise<void> {
    return this.replays.drain();
  }

  /**
   * A lifecycle event was recorded for these devices (store/lifecycle.ts): rebuild those held
   * in memory, which reloads their events and replays them from before it when readings after
   * it were taken in. Devices not in memory load it with their state on their next reading.
   */
  async lifecycleChanged(deviceIds: readonly number[]): Promise<void> {
    await Promise.all(deviceIds.map(async (id) => {
      const e = this.states.get(id);
      if (!e) return;
      if (e.rebuilding) await e.rebuilding.catch(() => undefined);
      await this.replays.rebuild(id, e);
    }));
  }

  /** Save a snapshot of every device due one (all changed devices when `all`). */
  snapshot(all = false): Promise<number> {
    return this.saver.snapshot(all);
  }

  /**
   * Forget the state of every device that scored nothing for `idleMs` (wall clock), after a
   * snapshot of its current state (state-saver.ts). Returns how many were forgotten.
   */
  evictIdle(idleMs: number, now = Date.now()): Promise<number> {
    return this.saver.evictIdle(idleMs, now);
  }

  close(): void {
    this.replays.close();
    this.saver.close();
  }

  /**
   * Load the per-site and per-patient overrides again; devices use the new settings from
   * their next reading (a replay uses the version in force when each reading was received: device-config.ts `at`).
   */
  refreshSettings(): Promise<boolean> {
    return this.configs.refresh();
  }

  private score(rows: readonly ScoreInput[], deviceIds: number[]): Scored {
    const scores: (number | null)[] = new Array(rows.length);
    const decisions: DecisionRow[] = [];
    const risks: RiskChangeRow[] = [];
    const late: ReadingKey[] = [];
    const silences: SilenceRow[] = [];
    const now = Date.now();
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      const e = this.states.get(r.deviceId)!;
      e.inflight++;
      e.usedAt = now;
      const t = e.tracked!;
      if (!comesAfter(t.engine, r.at, r.seq)) {
        scores[i] = null;
        late.push({ deviceId: r.deviceId, at: r.at, seq: r.seq });
        continue;
      }
      scores[i] = takeIn(t, r.deviceId, r, this.configs.of(r.deviceId, e.siteId), decisions, risks, e.lifecycle, silences);
      e.dirty = true;
    }
    return { scores, effects: { decisions, risks, late, silences }, deviceIds, fences: this.fenceOf(deviceIds.map((id) => [id, this.states.get(id)!])) };
  }

  private settle(scored: Scored, rows: readonly ScoreInput[], lateInserted: readonly ReadingKey[]): void {
    const m = this.opts.metrics;
    if (m) {
      for (const { decision: d } of scored.effects.decisions) m.engineDecisions.inc({ kind: d.kind, action: d.action });
      // Only late readings go unscored (score()): no pass over the batch to count the rest.
      m.engineReadings.inc({ outcome: 'scored' }, scored.scores.length - scored.effects.late.length);
      m.engineReadings.inc({ outcome: 'late' }, lateInserted.length);
    }
    this.saver.soonIfDue(scored.deviceIds);
    const replay = new Set(lateInserted.map((l) => l.deviceId));
    // Mark before releasing: a snapshot must not be taken of a device owing a replay.
    for (const id of replay) {
      const e = this.states.get(id);
      if (e && !e.rebuilding) void this.replays.rebuild(id, e).catch(() => undefined);
    }
    this.states.release(rows);
  }

  private fail(scored: Scored, rows: readonly ScoreInput[]): void {
    // The state took in readings the database does not hold: forget it.
    for (const id of scored.deviceIds) {
      const e = this.states.get(id);
      if (e) {
        e.tracked = null;
        e.dirty = false;
        // The lease may have moved (or not: taking it again is one statement).
        e.fence = null;
      }
    }
    this.states.release(rows);
  }
}


