import type { Db } from '../store/db.ts';
import { ServiceError } from '../errors.ts';
import { isLeaseLost } from '../store/leases.ts';
import { writeGroup, type WriteBatch, type WriteResult } from './group-write.ts';

// Group commit: batches from every socket queue here and are written together, one
// statement per flush (alert decisions included, into the outbox), so one fsync covers
// thousands of readings. A batch's promise settles only after its flush has
// committed (or failed as a whole).

export interface WriterOptions {
  readonly flushRows: number;
  readonly flushIntervalMs: number;
  readonly maxQueuedRows: number;
  readonly writers: number;
  readonly retryAfterMs: number;
}

export interface WriterObserver {
  flushed(seconds: number): void;
  /** Each batch of a flush: seconds it waited in the queue, then the flush's seconds to commit. */
  batchStages?(queued: readonly number[], writeSeconds: number): void;
  failed(err: unknown): void;
  /** A flush wrote alert decisions into the outbox: they wait for the applier. */
  decisionsWritten?(): void;
}

interface Pending {
  readonly batch: WriteBatch;
  readonly size: number;
  /** performance.now() when submitted. */
  readonly at: number;
  resolve(r: WriteResult): void;
  reject(e: unknown): void;
}

export class GroupCommitWriter {
  private queue: Pending[] = [];
  private queuedRows = 0;
  private inflight = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly db: Db,
    private readonly opts: WriterOptions,
    private readonly observer: WriterObserver,
  ) {}

  get pendingRows(): number {
    return this.queuedRows;
  }

  /** Whether a batch of this many rows would be queued now (not refused as overload). */
  accepts(size: number): boolean {
    return !this.closed && this.queuedRows + size <= this.opts.maxQueuedRows;
  }

  submit(batch: WriteBatch): Promise<WriteResult> {
    const size = batch.rows.length + batch.quarantine.length;
    if (this.closed) {
      return Promise.reject(new ServiceError('unavailable', 'the service is shutting down', this.opts.retryAfterMs));
    }
    if (this.queuedRows + size > this.opts.maxQueuedRows) {
      return Promise.reject(new ServiceError('unavailable', 'the service is overloaded', this.opts.retryAfterMs));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ batch, size, at: performance.now(), resolve, reject });
      this.queuedRows += size;
      this.schedule();
    });
  }

  /** Refuse new batches and wait until everything queued has committed or failed. */
  async drain(): Promise<void> {
    this.closed = true;
    this.schedule();
    if (this.queue.length === 0 && this.inflight === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * A group refused because some device's lease moved (rare: a handover or a takeover): its
   * batches again one by one, in order, so only those of the moved devices are refused.
   */
  private async oneByOne(group: readonly Pending[]): Promise<void> {
    for (const p of group) {
      try {
        const { results, decisions } = await writeGroup(this.db, [p.batch]);
        if (decisions) this.observer.decisionsWritten?.();
        p.resolve(results[0]!);
      } catch (err) {
        if (!isLeaseLost(err)) this.observer.failed(err);
        p.reject(isLeaseLost(err) ? handedOver(this.opts.retryAfterMs) : new ServiceError('unavailable', 'storage unavailable', this.opts.retryAfterMs));
      }
    }
  }

  // Flush at once when idle (no added latency at low load); while a flush is in
  // flight, let the next one grow to flushRows or wait flushIntervalMs.
  private schedule(): void {
    while (this.queue.length > 0 && this.inflight < this.opts.writers) {
      const ready = this.inflight === 0 || this.queuedRows >= this.opts.flushRows || this.closed;
      if (!ready) break;
      this.flush();
    }
    if (this.queue.length > 0 && this.timer === null && this.inflight < this.opts.writers) {
      this.timer = setTimeout(() => {
        this.timer = null;
        if (this.queue.length > 0 && this.inflight < this.opts.writers) this.flush();
      }, this.opts.flushIntervalMs);
    }
    if (this.queue.length === 0 && this.inflight === 0) {
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private flush(): void {
    // One splice per flush: shift() per batch is O(queue) each time, and the queue
    // is longest exactly when the service is busiest.
    let k = 0;
    let rows = 0;
    while (k < this.queue.length && (k === 0 || rows + this.queue[k]!.size <= this.opts.flushRows)) rows += this.queue[k++]!.size;
    const group = this.queue.splice(0, k);
    this.queuedRows -= rows;
    this.inflight++;
    const started = performance.now();
    writeGroup(this.db, group.map((p) => p.batch))
      .then(({ results, decisions }) => {
        const seconds = (performance.now() - started) / 1000;
        this.observer.flushed(seconds);
        this.observer.batchStages?.(group.map((p) => (started - p.at) / 1000), seconds);
        if (decisions) this.observer.decisionsWritten?.();
        group.forEach((p, i) => p.resolve(results[i]!));
      })
      .catch((err: unknown) => {
        if (isLeaseLost(err)) return this.oneByOne(group);
        this.observer.failed(err);
        const e = new ServiceError('unavailable', 'storage unavailable', this.opts.retryAfterMs);
        for (const p of group) p.reject(e);
      })
      .finally(() => {
        this.inflight--;
        this.schedule();
      });
  }
}

/** A batch whose device moved to another instance before its write: resent, scored there. */
const handedOver = (retryAfterMs: number) =>
  new ServiceError('unavailable', 'a device of this batch was handed over to another instance', retryAfterMs);

