// The engine in the service: one in-memory state per device, kept equal to "the
// device's stored readings, taken in in event-time order".
//
// In-order readings are scored BEFORE they are written, so the score and the alert
// decisions go into the same transaction as the reading (no second write per reading).
// Everything else keeps that equality true:
// - a reading that does not come after the state (a resend or a late reading) is
//   written unscored; if it was new, the transaction also records it in
//   engine_pending, and the device is replayed from a snapshot that precedes it;
// - a batch whose write fails leaves the state ahead of the database: the device is
//   marked stale and rebuilt from the database before it scores again;
// - a rebuild waits until no batch of the device is in flight, and batches of a device
//   being rebuilt wait for it.
// Replays propose decisions already applied; the store skips them by trigger reading.
import type { FastifyBaseLogger } from 'fastify';
import { metricById } from '../domain/vocabulary.ts';
import {
  comesAfter, mergeConfig, newDeviceState, processReading, riskStatus,
  type DeepPartial, type DeviceState, type EngineConfig, type RiskStatus,
} from '../engine/index.ts';
import { loadEngineSettings, NO_SETTINGS, type SettingsSnapshot } from '../store/engine-settings.ts';
import { dayOf } from '../engine/time.ts';
import type { Db } from '../store/db.ts';
import {
  applyReplay, loadHistories, pendingDevices, pendingOf, readingsAfter, saveSnapshots, snapshotBefore,
  type AlertEventRow, type DecisionRow, type DeviceHistory, type EngineEffects, type ReadingKey, type RiskChangeRow,
  type ScoreUpdate, type SnapshotRow,
} from '../store/engine.ts';

/** What is kept per device and snapshotted: the engine's state and the last risk status reported. */
export interface Tracked {
  engine: DeviceState;
  risk: RiskStatus;
}

interface Entry {
  tracked: Tracked | null;
  /** Rows of this device submitted to the writer and not yet settled. */
  inflight: number;
  rebuilding: Promise<void> | null;
  idleWaiters: Array<() => void>;
  /** Event day of the newest snapshot (saved or loaded). */
  snapshotDay: number | null;
  /** Taken in readings since the last snapshot. */
  dirty: boolean;
  siteId: number;
}

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
}

export class ScoringService {
  private readonly entries = new Map<number, Entry>();
  private closed = false;
  private settings: SettingsSnapshot = NO_SETTINGS;
  /** Effective configuration per device: defaults, site override, patient override. */
  private readonly configs = new Map<number, EngineConfig>();

  constructor(
    private readonly db: Db,
    private readonly opts: ScoringOptions,
  ) {}

  /** Devices tracked in memory. */
  get size(): number {
    return this.entries.size;
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
      for (const [id, site] of devices) {
        const e = this.entry(id, site);
        if (e.rebuilding) waits.push(e.rebuilding);
        else if (!e.tracked) missing.push([id, e]);
      }
      if (missing.length === 1) waits.push(this.rebuild(missing[0]![0], missing[0]![1]));
      else if (missing.length > 1) waits.push(...this.loadMany(missing));
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
   * that sends nothing more). Returns how many devices it replayed.
   */
  async recover(): Promise<number> {
    let n = 0;
    for (const id of await pendingDevices(this.db)) {
      const e = this.entries.get(id);
      if (e?.rebuilding) continue;
      const siteId = e?.siteId ?? (await this.siteOf(id));
      if (siteId === null) continue;
      await this.rebuild(id, this.entry(id, siteId)).then(() => n++, () => undefined);
    }
    return n;
  }

  /** Wait for every replay in progress (shutdown: after the writer has drained). */
  async drain(): Promise<void> {
    for (;;) {
      const running = [...this.entries.values()].flatMap((e) => (e.rebuilding ? [e.rebuilding.catch(() => undefined)] : []));
      if (running.length === 0) return;
      await Promise.all(running);
    }
  }

  /** Save a snapshot of every device due one (all changed devices when `all`). */
  async snapshot(all = false): Promise<number> {
    const rows: SnapshotRow[] = [];
    const taken: Entry[] = [];
    for (const [deviceId, e] of this.entries) {
      const t = e.tracked;
      if (!t || !e.dirty || e.inflight > 0 || e.rebuilding) continue;
      const { lastAt, lastSeq } = t.engine;
      if (lastAt === null || lastSeq === null) continue;
      const day = dayOf(lastAt);
      if (!all && e.snapshotDay !== null && day - e.snapshotDay < this.opts.snapshotEveryDays) continue;
      if (!all && e.snapshotDay === null && t.engine.firstAt !== null && day - dayOf(t.engine.firstAt) < this.opts.snapshotEveryDays) continue;
      rows.push({ deviceId, at: lastAt, seq: lastSeq, state: JSON.stringify(t) });
      taken.push(e);
    }
    if (rows.length === 0) return 0;
    await saveSnapshots(this.db, rows, this.opts.snapshotKeepDays * 86_400_000);
    rows.forEach((r, i) => {
      taken[i]!.snapshotDay = dayOf(r.at);
      // A reading taken in meanwhile keeps the entry dirty.
      if (taken[i]!.tracked?.engine.lastSeq === r.seq && taken[i]!.tracked?.engine.lastAt === r.at) taken[i]!.dirty = false;
    });
    return rows.length;
  }

  close(): void {
    this.closed = true;
    if (this.snapshotTimer) clearTimeout(this.snapshotTimer);
  }

  private snapshotTimer: NodeJS.Timeout | null = null;

  /**
   * Event time can run far ahead of the wall clock (a backlog, a simulation): a device due a
   * snapshot gets one within moments rather than at the next periodic tick, so a replay
   * starts from a recent state.
   */
  private snapshotSoonIfDue(deviceIds: readonly number[]): void {
    if (this.snapshotTimer || this.closed) return;
    const every = this.opts.snapshotEveryDays;
    const due = deviceIds.some((id) => {
      const e = this.entries.get(id);
      const at = e?.tracked?.engine.lastAt;
      const since = e?.snapshotDay ?? (e?.tracked?.engine.firstAt != null ? dayOf(e.tracked.engine.firstAt) : null);
      return at != null && since !== null && dayOf(at) - since >= every;
    });
    if (!due) return;
    this.snapshotTimer = setTimeout(() => {
      this.snapshotTimer = null;
      this.snapshot().catch((err: unknown) => {
        if (!this.closed) this.opts.log.warn({ err: { message: err instanceof Error ? err.message : String(err) } }, 'engine snapshot failed; retried later');
      });
    }, 200);
    this.snapshotTimer.unref();
  }

  /**
   * Load the per-site and per-patient overrides again; devices use the new settings from
   * their next reading (a replay uses the settings current when it runs).
   */
  async refreshSettings(): Promise<boolean> {
    const next = await loadEngineSettings(this.db);
    if (next.signature === this.settings.signature) return false;
    this.settings = next;
    this.configs.clear();
    return true;
  }

  private configOf(deviceId: number, siteId: number): EngineConfig {
    let c = this.configs.get(deviceId);
    if (!c) {
      const site = this.settings.sites.get(siteId) as DeepPartial<EngineConfig> | undefined;
      const patient = this.settings.devices.get(deviceId) as DeepPartial<EngineConfig> | undefined;
      // Overrides are checked when stored; one that no longer fits (an engine upgrade) is
      // ignored rather than stopping the device's scoring.
      try {
        c = site || patient ? mergeConfig(this.opts.config, site, patient) : this.opts.config;
      } catch (err) {
        this.opts.log.error({ err: { message: err instanceof Error ? err.message : String(err) }, device: deviceId }, 'engine settings override ignored');
        c = this.opts.config;
      }
      this.configs.set(deviceId, c);
    }
    return c;
  }

  private entry(deviceId: number, siteId: number): Entry {
    let e = this.entries.get(deviceId);
    if (!e) {
      e = { tracked: null, inflight: 0, rebuilding: null, idleWaiters: [], snapshotDay: null, dirty: false, siteId };
      this.entries.set(deviceId, e);
    }
    return e;
  }

  private score(rows: readonly ScoreInput[], deviceIds: number[]): Scored {
    const scores: (number | null)[] = new Array(rows.length);
    const decisions: DecisionRow[] = [];
    const risks: RiskChangeRow[] = [];
    const late: ReadingKey[] = [];
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      const e = this.entries.get(r.deviceId)!;
      e.inflight++;
      const t = e.tracked!;
      if (!comesAfter(t.engine, r.at, r.seq)) {
        scores[i] = null;
        late.push({ deviceId: r.deviceId, at: r.at, seq: r.seq });
        continue;
      }
      scores[i] = takeIn(t, r.deviceId, r, this.configOf(r.deviceId, e.siteId), decisions, risks);
      e.dirty = true;
    }
    return { scores, effects: { decisions, risks, late }, deviceIds };
  }

  private settle(scored: Scored, rows: readonly ScoreInput[], lateInserted: readonly ReadingKey[]): void {
    this.snapshotSoonIfDue(scored.deviceIds);
    const replay = new Set(lateInserted.map((l) => l.deviceId));
    // Mark before releasing: a snapshot must not be taken of a device owing a replay.
    for (const id of replay) {
      const e = this.entries.get(id);
      if (e && !e.rebuilding) void this.rebuild(id, e).catch(() => undefined);
    }
    this.release(rows);
  }

  private fail(scored: Scored, rows: readonly ScoreInput[]): void {
    // The state took in readings the database does not hold: forget it.
    for (const id of scored.deviceIds) {
      const e = this.entries.get(id);
      if (e) {
        e.tracked = null;
        e.dirty = false;
      }
    }
    this.release(rows);
  }

  private release(rows: readonly ScoreInput[]): void {
    for (const r of rows) {
      const e = this.entries.get(r.deviceId);
      if (e && --e.inflight === 0) for (const w of e.idleWaiters.splice(0)) w();
    }
  }

  /** Rebuild a device's state from its newest usable snapshot and its stored readings. */
  private rebuild(deviceId: number, e: Entry, load?: () => Promise<DeviceHistory | undefined>): Promise<void> {
    if (e.rebuilding) return e.rebuilding;
    const run = async () => {
      await idle(e);
      const history = (await load?.()) ?? (await this.history(deviceId));
      const { pending, snapshot: snap, stored } = history;
      const tracked: Tracked = snap ? (snap.state as Tracked) : { engine: newDeviceState(), risk: 'Low' };
      const decisions: DecisionRow[] = [];
      const risks: RiskChangeRow[] = [];
      const scores: ScoreUpdate[] = [];
      const config = this.configOf(deviceId, e.siteId);
      for (const s of stored) {
        const metric = metricById(s.metric);
        if (!metric) continue;
        const score = takeIn(tracked, deviceId, { seq: s.seq, at: s.at, metricId: s.metric, value: s.value }, config, decisions, risks);
        if (s.score === null) scores.push({ seq: s.seq, score });
      }
      // Nothing to write when the replay proposes nothing new to the store (the usual case
      // after a clean shutdown, or for a device first seen).
      const events = scores.length > 0 || decisions.length > 0 || risks.length > 0 || pending
        ? await applyReplay(this.db, deviceId, scores, { decisions, risks, late: [] }, pending)
        : [];
      e.tracked = tracked;
      e.snapshotDay = snap ? dayOf(snap.at) : null;
      e.dirty = stored.length > 0;
      if (events.length > 0) this.opts.onAlertEvents?.(events);
      if (pending) this.opts.log.info({ device: deviceId, replayed: stored.length, scored: scores.length }, 'late readings replayed');
    };
    e.rebuilding = run()
      .catch((err: unknown) => {
        e.tracked = null;
        if (!this.closed) this.warnRebuildFailed(err);
        throw err;
      })
      .finally(() => {
        e.rebuilding = null;
      });
    return e.rebuilding;
  }

  private rebuildWarnedAt = 0;
  private rebuildFailuresUnlogged = 0;

  /** While the database is away every device's rebuild fails: one line every 5 s, with a count. */
  private warnRebuildFailed(err: unknown): void {
    const now = Date.now();
    if (now - this.rebuildWarnedAt < 5000) {
      this.rebuildFailuresUnlogged++;
      return;
    }
    this.opts.log.warn(
      { err: { message: err instanceof Error ? err.message : String(err) }, alsoFailedSinceLastLine: this.rebuildFailuresUnlogged },
      'engine state rebuild failed; retried on the next reading',
    );
    this.rebuildWarnedAt = now;
    this.rebuildFailuresUnlogged = 0;
  }

  /** One device's pending late readings, the snapshot before them, and the readings after it. */
  private async history(deviceId: number): Promise<DeviceHistory> {
    const pending = await pendingOf(this.db, deviceId);
    const snapshot = await snapshotBefore(this.db, deviceId, pending);
    const stored = await readingsAfter(this.db, deviceId, snapshot);
    return { pending, snapshot, stored };
  }

  /**
   * Load many devices with no state at once (the first batches after a restart touch every
   * device): three queries for all of them instead of three each.
   */
  private loadMany(list: ReadonlyArray<readonly [number, Entry]>): Promise<void>[] {
    let fetched: Promise<Map<number, DeviceHistory>> | null = null;
    // Read only once no batch of any of them is in flight: the database must hold them all.
    const fetchAll = () =>
      (fetched ??= Promise.all(list.map(([, e]) => idle(e))).then(() => loadHistories(this.db, list.map(([id]) => id))));
    return list.map(([id, e]) => this.rebuild(id, e, async () => (await fetchAll()).get(id)));
  }

  private async siteOf(deviceId: number): Promise<number | null> {
    const row = await this.db.selectFrom('devices').select('site_id').where('id', '=', deviceId).executeTakeFirst();
    return row?.site_id ?? null;
  }
}

/** Resolves when no batch of the device is in flight. */
function idle(e: Entry): Promise<void> {
  return e.inflight > 0 ? new Promise<void>((resolve) => e.idleWaiters.push(resolve)) : Promise.resolve();
}

/** One reading into a device's state: its score, and the decisions and risk change it causes. */
function takeIn(
  t: Tracked,
  deviceId: number,
  r: { seq: number; at: number; metricId: number; value: number },
  config: EngineConfig,
  decisions: DecisionRow[],
  risks: RiskChangeRow[],
): number {
  const metric = metricById(r.metricId)!.name;
  const result = processReading(t.engine, { seq: r.seq, at: r.at, metric, value: r.value }, config);
  for (const decision of result.decisions) decisions.push({ deviceId, decision });
  const risk = riskStatus(t.engine, dayOf(r.at), config);
  if (risk !== t.risk) {
    risks.push({ deviceId, at: r.at, seq: r.seq, status: risk, previous: t.risk, score: t.engine.hf.lastScore });
    t.risk = risk;
  }
  // Three decimals are all a score means; shorter to send to the database.
  return Math.round(result.score * 1000) / 1000;
}
