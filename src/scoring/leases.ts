// Device ownership across instances: exactly one instance scores a device at a time.
//
// Each instance has a row (service_instances) it renews every ttl/4; a device's lease
// (device_leases) names the instance scoring it and a fence that moves on with every
// taking. Every write of scored readings, replays and snapshots carries the fences its
// states were loaded under and fails (store/leases.ts device_leases_held) once a lease has
// moved, so a state can never be written after another instance took the device over.
//
// A batch for a device held elsewhere asks the holder to hand it over (NOTIFY, and the
// holder's periodic look): the holder lets its batches in flight settle, saves the state as
// a snapshot and releases the lease in one transaction; the asker takes the lease and loads
// that snapshot. A holder that died (its LISTEN connection's backend is gone) or stopped
// renewing its row is declared dead by the asker, which waits for its writes in progress.
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../store/db.ts';
import type { Notifications } from '../store/listen.ts';
import {
  acquireLeases, forgetLapsedInstances, heartbeat, holders, LEASE_RELEASED_CHANNEL, LEASE_WANTED_CHANNEL,
  reapInstances, recordListenBackend, registerInstance, requestHandoff, retireInstance, wantedFrom,
} from '../store/leases.ts';
import { loggedError } from '../util/error-message.ts';

export interface LeaseOptions {
  /** An instance not renewing its row this long may be declared dead. */
  readonly ttlMs: number;
  /** How long `acquire` waits for holders to hand devices over. */
  readonly waitMs: number;
  readonly log: FastifyBaseLogger;
}

export interface Wanted {
  readonly deviceId: number;
  readonly fence: number;
}

export interface Acquired {
  /** Fence per device taken. */
  readonly got: Map<number, number>;
  /** Devices another live instance still holds. */
  readonly blocked: number[];
}

/** Lapsed instance rows nobody reaped are deleted after this long. */
const FORGET_LAPSED_MS = 3_600_000;

export class DeviceLeases {
  private id: string = randomUUID();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private wakers: Array<() => void> = [];
  private wantedHandler: ((wanted: Wanted[]) => Promise<void>) | null = null;
  private lostHandler: (() => void) | null = null;
  private checkingWanted = false;

  constructor(
    private readonly db: Db,
    private readonly notifications: Notifications | null,
    private readonly opts: LeaseOptions,
  ) {
    notifications?.on(LEASE_WANTED_CHANNEL, (payload) => {
      if (payload === this.id) this.checkWanted();
    });
    notifications?.on(LEASE_RELEASED_CHANNEL, (payload) => {
      if (payload === this.id) this.wake();
    });
    notifications?.onConnect((client) => {
      recordListenBackend(client, this.id).catch(() => undefined);
    });
  }

  /** This instance's id (a new one after it was declared dead). */
  get owner(): string {
    return this.id;
  }

  /** Who hands devices over when asked; who forgets every state when the instance was declared dead. */
  handlers(wanted: (wanted: Wanted[]) => Promise<void>, lost: () => void): void {
    this.wantedHandler = wanted;
    this.lostHandler = lost;
  }

  /** Register the instance (before it scores anything) and renew it from now on. */
  async start(): Promise<void> {
    await registerInstance(this.db, this.id, this.opts.ttlMs);
    this.schedule();
  }

  /** At shutdown, after every state was saved: release every lease and the instance's row. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.wake();
    await retireInstance(this.db, this.id);
  }

  /**
   * Take the leases of `devices`: free ones and those of dead instances at once; the others
   * after asking their holders to hand them over, waiting up to `waitMs` (0: do not ask).
   */
  async acquire(devices: readonly number[], waitMs = this.opts.waitMs): Promise<Acquired> {
    const got = await acquireLeases(this.db, this.id, devices);
    let remaining = devices.filter((d) => !got.has(d));
    const deadline = Date.now() + waitMs;
    let pause = 20;
    while (remaining.length > 0 && !this.stopped) {
      const held = await holders(this.db, this.id, remaining);
      const reaped = await reapInstances(this.db, [...new Set(held.values())]);
      if (reaped > 0) this.opts.log.warn({ instances: reaped }, 'instances declared dead (stopped renewing, or their connection is gone); taking over their devices');
      if (reaped === 0 && held.size === remaining.length) {
        if (waitMs === 0 || Date.now() >= deadline) break;
        await requestHandoff(this.db, this.id, remaining);
        await this.sleep(Math.min(pause, Math.max(1, deadline - Date.now())));
        pause = Math.min(pause * 2, 250);
      }
      for (const [d, f] of await acquireLeases(this.db, this.id, remaining)) got.set(d, f);
      remaining = remaining.filter((d) => !got.has(d));
    }
    return { got, blocked: remaining };
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.tick().finally(() => this.schedule());
    }, Math.max(250, Math.floor(this.opts.ttlMs / 4)));
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      if (!(await heartbeat(this.db, this.id, this.opts.ttlMs))) {
        // Declared dead (stopped renewing too long): every write of ours is refused from now
        // on. Forget every state and come back as a new instance.
        this.opts.log.error('this instance was declared dead by another; its engine states are reloaded under a new identity');
        this.id = randomUUID();
        this.lostHandler?.();
        await registerInstance(this.db, this.id, this.opts.ttlMs);
        return;
      }
      await forgetLapsedInstances(this.db, FORGET_LAPSED_MS);
    } catch (err) {
      this.opts.log.warn({ err: loggedError(err) }, 'instance heartbeat failed; retried');
      return;
    }
    // A request whose notification was missed.
    this.checkWanted();
  }

  private checkWanted(): void {
    if (this.checkingWanted || this.stopped || !this.wantedHandler) return;
    this.checkingWanted = true;
    const handler = this.wantedHandler;
    wantedFrom(this.db, this.id)
      .then((wanted) => (wanted.length > 0 ? handler(wanted) : undefined))
      .catch((err: unknown) => {
        this.opts.log.warn({ err: loggedError(err) }, 'device handover failed; retried');
      })
      .finally(() => {
        this.checkingWanted = false;
      });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.wakers = this.wakers.filter((w) => w !== done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.wakers.push(done);
    });
  }

  private wake(): void {
    for (const w of this.wakers.splice(0)) w();
  }
}
