// A gateway speaking ingest protocol v1: batches readings, keeps a bounded window of unacked
// batches, resends whatever was not acked, and resumes with `status` after a reconnect.
import WebSocket from 'ws';
import type { SimReading } from '../types.ts';
import { GatewayFatalError, checkIngestUrl } from './errors.ts';
import { openSocket, requestStatus } from './socket.ts';
import { FlowControl } from './flow.ts';
import { RETRYABLE, parseServerMessage, type AckMessage, type ErrorMessage } from './protocol.ts';
import { ReadingQueue, splitBatches } from './queue.ts';
import { committedByStatus, type PendingBatch } from './resume.ts';
import { bump, emptyStats, type GatewayClientOptions } from './types.ts';

export type { GatewayClientOptions, GatewayStats } from './types.ts';

export class GatewayClient {
  readonly stats = emptyStats();
  fatal: Error | null = null;
  private readonly maxBatchInit: number;
  private maxBatch: number;
  private readonly flow: FlowControl;
  private readonly log: (line: string) => void;
  private readonly pending = new ReadingQueue();
  private readonly inflight = new Map<string, PendingBatch>();
  private readonly waiting = new Set<PendingBatch>();
  private resend: PendingBatch[] = [];
  private readonly ackedMax = new Map<string, number>();
  private resumeFloor: Map<string, number> | null = null;
  private ws: WebSocket | null = null;
  private ready = false;
  private connecting = false;
  private closing = false;
  private counter = 0;
  private pumpQueued = false;
  /**
   * After a retryable refusal (an outage, a rate limit), one batch at a time until one is
   * acked: a later batch accepted before an earlier one is resent would reach the service out
   * of seq order, which the protocol asks gateways to avoid.
   */
  private probing = false;
  private idleTimer: NodeJS.Timeout | null = null;
  private drainWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly opts: GatewayClientOptions) {
    checkIngestUrl(opts.url);
    this.maxBatchInit = this.maxBatch = Math.min(5000, opts.maxBatch ?? 1000);
    this.flow = opts.flow ?? new FlowControl(Infinity);
    this.log = opts.log ?? ((line) => process.stderr.write(`${line}\n`));
  }

  /** Connects (retrying while the service is unreachable); rejects on a refused key. */
  async connect(): Promise<void> {
    await this.establish(true);
  }

  enqueue(readings: readonly SimReading[]): void {
    if (this.fatal) throw this.fatal;
    this.stats.enqueued += readings.length;
    let kept = 0;
    for (const r of readings) {
      const floor = this.resumeFloor?.get(r.device);
      if (floor !== undefined && r.seq <= floor) {
        this.stats.skippedOnResume++;
      } else {
        this.pending.push(r);
        kept++;
      }
    }
    this.flow.add(kept);
    this.schedulePump();
  }

  /** Readings handed over and not yet settled one way or another. */
  get outstanding(): number {
    return this.pending.size + this.unackedCount();
  }

  /** Resolves when every enqueued reading is acked, confirmed or failed. */
  drain(): Promise<void> {
    if (this.fatal) return Promise.reject(this.fatal);
    if (this.outstanding === 0) return Promise.resolve();
    this.schedulePump();
    return new Promise((resolve, reject) => this.drainWaiters.push({ resolve, reject }));
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      ws.close(1000, 'done');
    });
  }

  private unackedCount(): number {
    let n = 0;
    for (const b of this.inflight.values()) n += b.readings.length;
    for (const b of this.waiting) n += b.readings.length;
    for (const b of this.resend) n += b.readings.length;
    return n;
  }

  private settle(n: number): void {
    this.flow.settle(n);
    if (this.outstanding === 0) {
      const w = this.drainWaiters;
      this.drainWaiters = [];
      for (const d of w) d.resolve();
    }
  }

  private fail(err: Error): void {
    if (this.fatal) return;
    this.fatal = err;
    const w = this.drainWaiters;
    this.drainWaiters = [];
    for (const d of w) d.reject(err);
    this.flow.wake();
    void this.close();
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private async establish(first: boolean): Promise<void> {
    const { initialMs, maxMs } = this.opts.backoff ?? { initialMs: 250, maxMs: 10_000 };
    this.connecting = true;
    for (let attempt = 0; !this.closing; attempt++) {
      try {
        const ws = await this.open();
        await this.resume(ws, first);
        if (this.ws !== ws) throw new Error('connection lost while resuming');
        if (attempt > 0 || !first) this.log(`gateway ${this.opts.name}: connected to ${this.opts.url}`);
        this.ready = true;
        this.connecting = false;
        this.schedulePump();
        return;
      } catch (e) {
        const err = e instanceof Error ? e : new Error(String(e));
        if (err instanceof GatewayFatalError) {
          this.connecting = false;
          this.fail(err);
          throw err;
        }
        const delay = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 16));
        // Powers of two only: a long outage should not flood stderr.
        if ((attempt & (attempt + 1)) === 0) {
          this.log(`gateway ${this.opts.name}: cannot reach ${this.opts.url} (${err.message}); retrying in ${delay} ms`);
        }
        await new Promise<void>((resolve) => this.later(delay, resolve));
      }
    }
    this.connecting = false;
  }

  private open(): Promise<WebSocket> {
    return openSocket(this.opts.url, this.opts.key, {
      open: (ws) => {
        this.ws = ws;
        this.touch();
      },
      message: (text) => {
        this.touch();
        this.onMessage(text);
      },
      ping: () => this.touch(),
      close: (ws, code, reason) => this.onClose(ws, code, reason),
    }, this.opts.ca);
  }

  private touch(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const ms = this.opts.idleTimeoutMs ?? 75_000;
    this.idleTimer = setTimeout(() => this.ws?.terminate(), ms);
    this.idleTimer.unref();
  }

  /** Asks the service what it holds, then drops what it already committed. */
  private async resume(ws: WebSocket, first: boolean): Promise<void> {
    const unacked = [...this.resend, ...this.waiting];
    const devices = new Set<string>();
    for (const b of unacked) for (const r of b.readings) devices.add(r.device);
    if (first) for (const d of this.opts.resumeDevices ?? []) devices.add(d);
    if (devices.size === 0) return;
    const id = `${this.opts.name}-status-${++this.counter}`;
    const last = await requestStatus(ws, id, [...devices], this.opts.statusTimeoutMs ?? 10_000);
    if (!last) return; // resending everything is always safe
    if (first && this.opts.resumeDevices) {
      const mine = new Set(this.opts.resumeDevices);
      this.resumeFloor = new Map([...last].filter(([d]) => mine.has(d)));
    }
    const done = committedByStatus(this.resend, unacked, last, this.ackedMax);
    if (done.size === 0) return;
    this.resend = this.resend.filter((b) => !done.has(b));
    for (const b of done) {
      this.stats.confirmedByStatus += b.readings.length;
      this.settle(b.readings.length);
    }
  }

  private schedulePump(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    // Deferred, so a producer enqueuing many transmissions in one tick fills whole batches.
    setImmediate(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  private pump(): void {
    const window = this.probing ? 1 : (this.opts.window ?? 8);
    while (this.ready && this.ws && !this.fatal && this.inflight.size + this.waiting.size < window) {
      let batch = this.resend.shift();
      if (!batch) {
        if (this.pending.size === 0) break;
        batch = { id: `${this.opts.name}-${String(++this.counter).padStart(10, '0')}`, readings: this.pending.take(this.maxBatch), attempts: 0 };
      }
      this.send(batch);
    }
  }

  private send(b: PendingBatch): void {
    if (b.attempts++ === 0) this.stats.sent += b.readings.length;
    else this.stats.resent += b.readings.length;
    this.inflight.set(b.id, b);
    this.ws?.send(JSON.stringify({ type: 'readings', id: b.id, readings: b.readings }));
  }

  private onMessage(text: string): void {
    const m = parseServerMessage(text);
    if (!m) {
      bump(this.stats.errors, 'unparsable_reply');
      return;
    }
    if (m.type === 'ack') this.onAck(m);
    else if (m.type === 'error') this.onError(m);
  }

  private onAck(m: AckMessage): void {
    const b = this.inflight.get(m.id);
    if (!b) return; // a late ack for a batch already settled through `status`
    this.inflight.delete(m.id);
    this.probing = false;
    this.stats.accepted += m.accepted;
    this.stats.duplicates += m.duplicates;
    this.stats.rejected += m.rejected.length;
    for (const r of m.rejected) bump(this.stats.rejectCodes, r.code);
    for (const r of b.readings) {
      if ((this.ackedMax.get(r.device) ?? -1) < r.seq) this.ackedMax.set(r.device, r.seq);
    }
    this.settle(b.readings.length);
    this.schedulePump();
  }

  private onError(m: ErrorMessage): void {
    bump(this.stats.errors, m.code);
    const b = m.id === null ? undefined : this.inflight.get(m.id);
    if (!b) {
      this.log(`gateway ${this.opts.name}: service error ${m.code}: ${m.message}`);
      return;
    }
    this.inflight.delete(b.id);
    if (RETRYABLE.has(m.code)) {
      // Nothing of the batch was stored: wait as told, then send it again.
      this.stats.retries++;
      this.probing = true;
      this.waiting.add(b);
      this.later(m.retryAfterMs ?? 1000, () => {
        if (!this.waiting.delete(b)) return;
        // Oldest first, whatever order the refusals' timers fire in.
        this.resend.push(b);
        this.resend.sort((x, y) => (x.id < y.id ? -1 : 1));
        this.schedulePump();
      });
      return;
    }
    // bad_message and the like: the same bytes would fail again, so count and move on.
    if (this.stats.failed === 0) this.log(`gateway ${this.opts.name}: batch refused (${m.code}: ${m.message})`);
    this.stats.failed += b.readings.length;
    this.settle(b.readings.length);
    this.schedulePump();
  }

  private onClose(ws: WebSocket, code: number, reason: string): void {
    if (this.ws !== ws) return;
    this.ws = null;
    this.ready = false;
    // Unacked batches go first on the new connection, oldest first.
    this.resend = [...this.inflight.values(), ...this.resend].sort((a, b) => (a.id < b.id ? -1 : 1));
    this.inflight.clear();
    if (this.closing || this.fatal || this.connecting) return;
    if (code === 1008) {
      this.fail(new GatewayFatalError('policy_violation', `gateway ${this.opts.name}: closed by the service (1008 ${reason || 'key revoked or policy violation'})`));
      return;
    }
    if (code === 1009) this.shrinkBatches();
    this.stats.reconnects++;
    this.log(`gateway ${this.opts.name}: connection closed (${code}${reason ? ` ${reason}` : ''}); reconnecting`);
    this.establish(false).catch((e: unknown) => this.fail(e instanceof Error ? e : new Error(String(e))));
  }

  /** The service found a frame too big: halve the batch size and split what waits to go. */
  private shrinkBatches(): void {
    this.maxBatch = Math.max(1, Math.floor(this.maxBatch / 2));
    this.resend = splitBatches(this.resend, this.maxBatch);
    this.log(`gateway ${this.opts.name}: frame too big; batches now ${this.maxBatch} readings (was up to ${this.maxBatchInit})`);
  }
}
