// The scoring service's side of device leases (leases.ts): taking the lease of devices a
// batch brings, handing devices over when another instance asks, releasing idle ones, and
// the fences every write of their states carries.
import { ServiceError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { saveSnapshots } from '../store/engine-history.ts';
import { releaseLeases, type Fences } from '../store/leases.ts';
import { idle, snapshotRows, type DeviceStates, type Entry } from './device-state.ts';
import type { DeviceLeases, Wanted } from './leases.ts';

type Entries = ReadonlyArray<readonly [number, Entry]>;

export interface OwnershipOptions {
  /** Snapshots older than this before a device's newest are deleted. */
  readonly snapshotKeepDays: number;
  /** Told to a batch refused because a device could not be taken over in time. */
  readonly retryAfterMs: number;
}

export class Ownership {
  constructor(
    private readonly db: Db,
    private readonly states: DeviceStates,
    private readonly leases: DeviceLeases,
    private readonly opts: OwnershipOptions,
  ) {
    leases.handlers((wanted) => this.handOver(wanted), () => this.forgetAll());
  }

  /** The fences of these entries' leases. */
  fenceOf(list: Entries): Fences {
    // A device whose lease is not held gets fence 0, which no lease has: the write is refused.
    return { owner: this.leases.owner, devices: list.map(([id]) => id), fences: list.map(([, e]) => e.fence ?? 0) };
  }

  /**
   * Take the leases of devices this instance does not hold (their states are then loaded
   * from the database): at once when free, after their holder hands them over otherwise. A
   * device not taken within the wait refuses the batch (`unavailable`: resent later).
   */
  lease(list: Entries): Promise<void> {
    const taking = this.leases.acquire(list.map(([id]) => id)).then(({ got, blocked }) => {
      for (const [id, e] of list) {
        const fence = got.get(id);
        if (fence === undefined) continue;
        e.fence = fence;
        e.tracked = null;
      }
      if (blocked.length > 0) {
        throw new ServiceError('unavailable', 'a device of this batch is being handed over between instances', this.opts.retryAfterMs);
      }
    });
    return exclusive(list, taking);
  }

  /** Whether this instance holds the device's lease, taking it if it is free (no waiting). */
  async claim(deviceId: number, e: Entry): Promise<boolean> {
    if (e.fence !== null) return true;
    const fence = (await this.leases.acquire([deviceId], 0)).got.get(deviceId);
    // A batch taking the lease meanwhile: its taking counts, this one is refused at its write.
    if (fence === undefined || e.rebuilding) return false;
    e.fence = fence;
    e.tracked = null;
    return true;
  }

  /**
   * Save these devices' states, release their leases, forget them. Batches of theirs wait
   * meanwhile and then take the lease again (from whoever holds it by then).
   */
  release(list: Entries, replaceWithinMs = 0): Promise<void> {
    const run = async () => {
      await Promise.all(list.map(([, e]) => idle(e)));
      await Promise.all(list.map(([, e]) => e.saving));
      const fences = this.fenceOf(list);
      await this.db.transaction().execute(async (trx) => {
        const { rows, taken } = snapshotRows(list.filter(([, e]) => e.dirty));
        if (rows.length > 0) await saveSnapshots(trx, rows, this.opts.snapshotKeepDays * 86_400_000, replaceWithinMs, this.fenceOf(taken));
        await releaseLeases(trx, fences);
      });
      for (const [id, e] of list) this.states.remove(id, e);
    };
    return exclusive(list, run());
  }

  /**
   * Another instance asked for these devices: let their batches in flight settle, save their
   * states and release their leases in one transaction, and forget them here. A device whose
   * state is busy (a rebuild) is handed over at the next request or periodic look.
   */
  private async handOver(wanted: readonly Wanted[]): Promise<void> {
    const owned: Array<[number, Entry]> = [];
    const stale: Wanted[] = [];
    for (const w of wanted) {
      const e = this.states.get(w.deviceId);
      if (e && e.fence === w.fence) {
        if (!e.rebuilding) owned.push([w.deviceId, e]);
      } else stale.push(w); // nothing in memory under that fence
    }
    if (stale.length > 0) {
      await releaseLeases(this.db, { owner: this.leases.owner, devices: stale.map((w) => w.deviceId), fences: stale.map((w) => w.fence) });
    }
    if (owned.length > 0) await this.release(owned);
  }

  /** This instance was declared dead: no state of it may be written any more. */
  private forgetAll(): void {
    for (const [, e] of this.states) {
      e.fence = null;
      if (e.inflight === 0 && !e.rebuilding) {
        e.tracked = null;
        e.dirty = false;
      }
    }
  }
}

/** Make `work` the entries' exclusive work (`rebuilding`): their batches wait for it. */
function exclusive(list: Entries, work: Promise<void>): Promise<void> {
  const done = work.finally(() => {
    for (const [, e] of list) if (e.rebuilding === done) e.rebuilding = null;
  });
  for (const [, e] of list) e.rebuilding = done;
  return done;
}
