// Saving device states: periodic snapshots (so a restart or a late reading replays days of
// readings, not a device's whole history), a snapshot soon when event time runs ahead of the
// clock, and the eviction of idle devices' states after a last snapshot.
import type { FastifyBaseLogger } from 'fastify';
import { dayOf } from '../engine/time.ts';
import type { Db } from '../store/db.ts';
import { saveSnapshots } from '../store/engine-history.ts';
import { snapshotRows, type DeviceStates, type Entry } from './device-state.ts';
import type { Ownership } from './ownership.ts';
import { loggedError } from '../util/error-message.ts';

export interface StateSaverOptions {
  /** Event days between two snapshots of a device. */
  readonly snapshotEveryDays: number;
  /** Snapshots older than this before a device's newest are deleted. */
  readonly snapshotKeepDays: number;
  readonly log: FastifyBaseLogger;
}

export class StateSaver {
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly db: Db,
    private readonly states: DeviceStates,
    /** Device leases across instances; null when this process is alone. */
    private readonly ownership: Ownership | null,
    private readonly opts: StateSaverOptions,
  ) {}

  /**
   * Save a snapshot of every device due one (all changed devices when `all`). A device whose
   * snapshot is being written is left to that write: the periodic tick and soonIfDue's timer
   * overlap when a save is slow, and each would otherwise write the same devices again (the
   * same rows, the second waiting on the first's row locks), more of them the slower it gets.
   * With `all` (shutdown) those writes are waited for, then whatever changed since is saved.
   */
  async snapshot(all = false): Promise<number> {
    for (let saving = all ? this.saving() : []; saving.length > 0; saving = this.saving()) await Promise.all(saving);
    const due: Array<[number, Entry]> = [];
    for (const [deviceId, e] of this.states) {
      const t = e.tracked;
      if (!t || !e.dirty || e.inflight > 0 || e.rebuilding || e.saving) continue;
      const { lastAt, firstAt } = t.engine;
      if (lastAt === null) continue;
      const day = dayOf(lastAt);
      if (!all && e.snapshotDay !== null && day - e.snapshotDay < this.opts.snapshotEveryDays) continue;
      if (!all && e.snapshotDay === null && firstAt !== null && day - dayOf(firstAt) < this.opts.snapshotEveryDays) continue;
      due.push([deviceId, e]);
    }
    return this.save(due);
  }

  private saving(): Promise<void>[] {
    const out: Promise<void>[] = [];
    for (const [, e] of this.states) if (e.saving) out.push(e.saving);
    return out;
  }

  /**
   * Forget the state of every device that scored nothing for `idleMs` (wall clock), after a
   * snapshot of its current state: its next reading loads it again from that snapshot (one
   * batched load, nothing to replay), so memory follows the devices sending now, not every
   * device ever seen. Returns how many were forgotten.
   */
  async evictIdle(idleMs: number, now = Date.now()): Promise<number> {
    const idle: Array<[number, Entry]> = [];
    for (const [deviceId, e] of this.states) {
      if (e.inflight === 0 && !e.rebuilding && now - e.usedAt >= idleMs) idle.push([deviceId, e]);
    }
    if (idle.length === 0) return 0;
    // With leases, an idle device is handed back too: saved, released, forgotten.
    if (this.ownership) {
      await this.ownership.release(idle, this.opts.snapshotEveryDays * 86_400_000);
      return idle.length;
    }
    // Off the periodic rhythm: replaces a snapshot of the last ENGINE_SNAPSHOT_DAYS, so the
    // table keeps about one per period per device however often devices go idle.
    await this.save(idle.filter(([, e]) => e.dirty), this.opts.snapshotEveryDays * 86_400_000);
    let n = 0;
    for (const [deviceId, e] of idle) if (now - e.usedAt >= idleMs && this.states.evict(deviceId, e)) n++;
    return n;
  }

  /** Snapshot the given devices' current states; an entry that took in nothing meanwhile is clean. */
  private async save(list: ReadonlyArray<readonly [number, Entry]>, replaceWithinMs = 0): Promise<number> {
    const { rows, taken: takenPairs } = snapshotRows(list);
    const taken = takenPairs.map(([, e]) => e);
    if (rows.length === 0) return 0;
    const saving = saveSnapshots(this.db, rows, this.opts.snapshotKeepDays * 86_400_000, replaceWithinMs, this.ownership?.fenceOf(takenPairs) ?? null);
    // A late reading may arrive while this is written: its replay waits for the write and
    // then deletes what it made stale (applyReplay), so no snapshot lacking it survives.
    const settled = saving.then(() => undefined, () => undefined);
    for (const e of taken) e.saving = settled;
    try {
      await saving;
    } finally {
      for (const e of taken) if (e.saving === settled) e.saving = null;
    }
    rows.forEach((r, i) => {
      taken[i]!.snapshotDay = dayOf(r.at);
      // A reading taken in meanwhile keeps the entry dirty.
      if (taken[i]!.tracked?.engine.lastSeq === r.seq && taken[i]!.tracked?.engine.lastAt === r.at) taken[i]!.dirty = false;
    });
    return rows.length;
  }

  /**
   * Event time can run far ahead of the wall clock (a backlog, a simulation): a device due a
   * snapshot gets one within moments rather than at the next periodic tick, so a replay
   * starts from a recent state.
   */
  soonIfDue(deviceIds: readonly number[]): void {
    if (this.timer || this.closed) return;
    const every = this.opts.snapshotEveryDays;
    const due = deviceIds.some((id) => {
      const e = this.states.get(id);
      const at = e?.tracked?.engine.lastAt;
      const since = e?.snapshotDay ?? (e?.tracked?.engine.firstAt != null ? dayOf(e.tracked.engine.firstAt) : null);
      return at != null && since !== null && dayOf(at) - since >= every;
    });
    if (!due) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.snapshot().catch((err: unknown) => {
        if (!this.closed) this.opts.log.warn({ err: loggedError(err) }, 'engine snapshot failed; retried later');
      });
    }, 200);
    this.timer.unref();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
