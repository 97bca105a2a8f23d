// The applier of the alert outbox (store/alert-outbox.ts): the engine's decisions, committed
// with their readings, become alerts and alert events here, after the gateway's ack. One pass
// at a time per instance, and one instance at a time (the alert events' lock), in outbox
// order. A flush that wrote decisions kicks it; a sweep picks up what another instance
// left (it died between the two) and retries what failed.
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../store/db.ts';
import { outboxFailed, outboxIds, takeOutbox } from '../store/alert-outbox.ts';
import { applyDecisions, lockAlertEvents, type AlertEventRow } from '../store/engine-effects.ts';
import { errorMessage, loggedError } from '../util/error-message.ts';

/** Rows (group commits) applied in one transaction. */
const PASS_ROWS = 64;
/** How often the outbox is looked at besides after each flush: what another instance left, what failed. */
const SWEEP_MS = 1000;
/**
 * Least time between the starts of two passes. Each pass is a transaction of its own (the
 * lock, the outbox, the decisions, a commit and its WAL flush): kicked by every flush, passes
 * of one group each would cost the database and the service more than the groups themselves
 * when flushes are small (a paced load). Spaced, a pass takes what gathered meanwhile; an
 * alert waits at most this much longer.
 */
const PASS_SPACING_MS = 100;

export interface AlertApplierOptions {
  /** Default SWEEP_MS. */
  readonly sweepMs?: number;
  /** Default PASS_SPACING_MS. */
  readonly spacingMs?: number;
  readonly log: FastifyBaseLogger;
  /** The alert events a pass committed, in cursor order. */
  readonly publish: (events: readonly AlertEventRow[]) => void;
  /** Each applied row's seconds from its readings' commit to its alerts' commit. */
  readonly applied?: (ageSeconds: number) => void;
  /** A row left aside after repeated failures: its alerts will not be raised without an operator. */
  readonly setAside?: () => void;
  /** Each pass (one transaction), whatever it found. */
  readonly passed?: () => void;
}

export class AlertApplier {
  private running: Promise<void> | null = null;
  private again = false;
  private readonly timer: NodeJS.Timeout;
  private stopped = false;
  /** performance.now() when the last pass began. */
  private lastPass = -Infinity;
  /** settle() in progress: no spacing, shutdown and tests want the outbox empty now. */
  private settling = 0;
  private spaced: { timer: NodeJS.Timeout; done: () => void } | null = null;

  constructor(private readonly db: Db, private readonly opts: AlertApplierOptions) {
    this.timer = setInterval(() => this.sweep(), opts.sweepMs ?? SWEEP_MS);
    this.timer.unref();
  }

  /** A look without the lock (an index probe), then a pass only when there is work. */
  private sweep(): void {
    if (this.running) return;
    outboxIds(this.db, 1).then((ids) => {
      if (ids.length > 0) this.kick();
    }, (err: unknown) => {
      this.opts.log.warn({ err: loggedError(err) }, 'looking at the alert outbox failed; retried later');
    });
  }

  /** Apply what is in the outbox soon (at once when idle; after the pass in progress otherwise). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.start();
  }

  /** Everything in the outbox now applied (or left aside as failing): for shutdown and tests. */
  async settle(): Promise<void> {
    this.settling++;
    try {
      const s = this.spaced;
      if (s) {
        clearTimeout(s.timer);
        s.done();
      }
      while (this.running) await this.running;
      await this.start();
    } finally {
      this.settling--;
    }
  }

  /** Until PASS_SPACING_MS after the last pass began (at once when settling). */
  private spacing(): Promise<void> {
    const wait = this.lastPass + (this.opts.spacingMs ?? PASS_SPACING_MS) - performance.now();
    if (wait <= 0 || this.settling > 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.spaced = null;
        resolve();
      };
      this.spaced = { timer: setTimeout(done, wait), done };
    });
  }

  private start(): Promise<void> {
    this.running = this.loop().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Stop sweeping after applying what is there. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    clearInterval(this.timer);
    await this.settle();
    this.stopped = true;
  }

  private async loop(): Promise<void> {
    do {
      await this.spacing();
      this.again = false;
      try {
        while ((await this.pass()) === PASS_ROWS);
      } catch (err) {
        // A pass failed as a whole: each row alone, so one that cannot apply holds back no other.
        await this.oneByOne(err);
      }
    } while (this.again && !this.stopped);
  }

  private async pass(id?: number): Promise<number> {
    this.lastPass = performance.now();
    this.opts.passed?.();
    const { rows, events } = await this.db.transaction().execute(async (trx) => {
      await lockAlertEvents(trx);
      const rows = await takeOutbox(trx, { limit: id === undefined ? PASS_ROWS : 1, id });
      const events = rows.length > 0 ? await applyDecisions(trx, rows.flatMap((r) => r.decisions)) : [];
      return { rows, events };
    });
    if (events.length > 0) this.opts.publish(events);
    for (const r of rows) this.opts.applied?.(r.ageSeconds);
    return rows.length;
  }

  private async oneByOne(first: unknown): Promise<void> {
    let ids: number[];
    try {
      ids = await outboxIds(this.db, PASS_ROWS);
    } catch (err) {
      this.opts.log.warn({ err: loggedError(err) }, 'applying alert decisions failed; retried later');
      return;
    }
    this.opts.log.warn({ err: loggedError(first) }, 'applying alert decisions failed; each group again on its own');
    for (const id of ids) {
      try {
        await this.pass(id);
      } catch (err) {
        const aside = await outboxFailed(this.db, id, errorMessage(err)).catch(() => false);
        if (aside) this.opts.setAside?.();
        this.opts.log[aside ? 'error' : 'warn'](
          { outboxId: id, err: loggedError(err) },
          aside ? 'alert decisions left aside in alert_outbox after repeated failures; an operator must look' : 'alert decisions failed to apply; retried later',
        );
      }
    }
  }
}
