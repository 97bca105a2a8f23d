// The realistic profile's gateways: one WebSocket each, opened from several loopback source
// addresses, driven either as fast as acks come back (capacity) or at a fixed rate (paced).
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import WebSocket from 'ws';
import { percentile, serviceGauges } from '../lib.ts';
import type { Frame, Workload } from './workload.ts';
import { StallWatch, type Stall } from './stall-watch.ts';
import { processCpuMs } from './proc-stat.ts';

/** Loopback source addresses the sockets are spread over (127.0.0.1 … 127.0.0.N). */
const SOURCES = 8;
/** Paced: batches a gateway may have in flight before the pacer skips it. */
const PACED_WINDOW = 8;

export type Shape = { kind: 'nightly' } | { kind: 'packed'; size: number };
export type Pace = { kind: 'capacity'; window: number } | { kind: 'paced'; batchesPerSec: number };

export interface RealisticResult {
  label: string;
  batches: number;
  readings: number;
  seconds: number;
  batchesPerSec: number;
  readingsPerSec: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  errors: number;
  /** Batches the pacer could not send: the gateway had its window in flight, or was told to wait. */
  missed: number;
  p50: number;
  p99: number;
  max: number;
  /** The service process's user + system CPU over the phase, ms. */
  serviceCpuMs: number;
  /** The bench process's own CPU over the phase, ms (it shares the machine). */
  benchCpuMs: number;
  rssMiB: number;
  /** The service's event-loop delay over the phase, p99 and max, ms. */
  loopP99Ms: number;
  loopMaxMs: number;
  /** The bench's own event-loop delay over the phase, p99 and max, ms: an ack waits for it too. */
  benchLoopP99Ms: number;
  benchLoopMaxMs: number;
  /** The bench's own garbage-collection pauses over the phase: the longest, ms. */
  benchGcMaxMs: number;
  /** The bench's longest stall, with its own CPU time through it (busy, or not running). */
  benchStall: Stall;
  /** Ack p99 of the batches sent in each `SLICE_S` seconds of the phase, ms: when the tail happened. */
  sliceP99: number[];
}

/** Seconds a slice of a phase for `sliceP99`. */
export const SLICE_S = 5;

interface Gateway {
  readonly ws: WebSocket;
  readonly inFlight: Map<string, { frame: Frame; at: number }>;
  /** A batch to send again before anything new (lost ack, or `unavailable`). */
  again: Frame | null;
  /** After `unavailable`: the gateway waits `retryAfterMs`, as the protocol asks. */
  notBefore: number;
}

interface Tally { accepted: number; duplicates: number; rejected: number; errors: number; latencies: number[]; sentAt: number[] }

function slices(t: Tally, start: number, seconds: number): number[] {
  const n = Math.max(1, Math.ceil(seconds / SLICE_S));
  const by: number[][] = Array.from({ length: n }, () => []);
  t.sentAt.forEach((at, i) => by[Math.min(n - 1, Math.floor((at - start) / 1000 / SLICE_S))]!.push(t.latencies[i]!));
  return by.map((l) => percentile(Float64Array.from(l).sort(), 99));
}

export class Fleet {
  private readonly gateways: Gateway[] = [];
  private tally: Tally = { accepted: 0, duplicates: 0, rejected: 0, errors: 0, latencies: [], sentAt: [] };
  /** Called when a gateway has room for another batch (capacity mode). */
  private onFree: ((g: number) => void) | null = null;

  constructor(private readonly workload: Workload) {}

  async open(port: number, keys: readonly string[]): Promise<void> {
    const url = `ws://127.0.0.1:${port}/v1/ingest`;
    // In slices, so the service is not asked for thousands of upgrades at once.
    for (let from = 0; from < keys.length; from += 100) {
      await Promise.all(keys.slice(from, from + 100).map((key, i) => this.connect(url, key, from + i)));
    }
  }

  private async connect(url: string, key: string, g: number): Promise<void> {
    const ws = new WebSocket(url, {
      headers: { Authorization: `Bearer ${key}` }, perMessageDeflate: false, localAddress: `127.0.0.${1 + (g % SOURCES)}`,
    });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const gw: Gateway = { ws, inFlight: new Map(), again: null, notBefore: 0 };
    this.gateways[g] = gw;
    ws.on('message', (data) => this.answer(g, gw, data.toString()));
  }

  private answer(g: number, gw: Gateway, text: string): void {
    const m = JSON.parse(text) as {
      type: string; id?: string; accepted?: number; duplicates?: number; rejected?: unknown[]; retryAfterMs?: number;
    };
    const sent = m.id === undefined ? undefined : gw.inFlight.get(m.id);
    if (!sent) return;
    gw.inFlight.delete(m.id!);
    const t = this.tally;
    if (m.type === 'ack') {
      t.latencies.push(performance.now() - sent.at);
      t.sentAt.push(sent.at);
      t.accepted += m.accepted ?? 0;
      t.duplicates += m.duplicates ?? 0;
      t.rejected += m.rejected?.length ?? 0;
      if (this.workload.resend(sent.frame)) gw.again = sent.frame;
    } else {
      t.errors++;
      gw.again = sent.frame;
      if (m.retryAfterMs) {
        gw.notBefore = performance.now() + m.retryAfterMs;
        const free = this.onFree;
        if (free) setTimeout(() => free(g), m.retryAfterMs);
        return;
      }
    }
    this.onFree?.(g);
  }

  private send(g: number, shape: Shape): Frame {
    const gw = this.gateways[g]!;
    const frame = gw.again ?? (shape.kind === 'nightly' ? this.workload.nightly(g) : this.workload.packed(g, shape.size));
    gw.again = null;
    // A resend carries the batch's id again, as a gateway would.
    gw.inFlight.set(frame.id, { frame, at: performance.now() });
    gw.ws.send(frame.text);
    return frame;
  }

  /** Waits for every batch in flight. */
  private async drain(): Promise<void> {
    this.onFree = null;
    while (this.gateways.some((gw) => gw.inFlight.size > 0)) await new Promise((r) => setTimeout(r, 5));
  }

  async phase(label: string, servicePid: number, port: number, seconds: number, shape: Shape, pace: Pace): Promise<RealisticResult> {
    this.tally = { accepted: 0, duplicates: 0, rejected: 0, errors: 0, latencies: [], sentAt: [] };
    let batches = 0;
    let readings = 0;
    let missed = 0;
    await serviceGauges(port); // resets the service's event-loop delay histogram
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    let gcMax = 0;
    const gc = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) gcMax = Math.max(gcMax, e.duration);
    });
    gc.observe({ entryTypes: ['gc'] });
    const cpu0 = processCpuMs(servicePid);
    const bench0 = process.cpuUsage();
    const start = performance.now();
    const stalls = new StallWatch(start);
    const deadline = start + seconds * 1000;
    const count = (f: Frame) => { batches++; readings += f.readings; };
    if (pace.kind === 'capacity') {
      this.onFree = (g) => {
        if (performance.now() < deadline) count(this.send(g, shape));
      };
      for (let w = 0; w < pace.window; w++) for (let g = 0; g < this.gateways.length; g++) count(this.send(g, shape));
      await new Promise((r) => setTimeout(r, seconds * 1000));
    } else {
      // One clock for every gateway, round-robin: each sends about batchesPerSec / gateways a second.
      let next = 0;
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          const now = performance.now();
          const due = Math.floor(((Math.min(now, deadline) - start) / 1000) * pace.batchesPerSec) - batches - missed;
          for (let i = 0; i < due; i++) {
            const g = next;
            next = (next + 1) % this.gateways.length;
            const gw = this.gateways[g]!;
            if (gw.inFlight.size >= PACED_WINDOW || gw.notBefore > now) missed++;
            else count(this.send(g, shape));
          }
          if (now >= deadline) {
            clearInterval(timer);
            resolve();
          }
        }, 1);
      });
    }
    await this.drain();
    const benchStall = stalls.stop();
    loop.disable();
    gc.disconnect();
    const elapsed = (performance.now() - start) / 1000;
    const serviceCpuMs = processCpuMs(servicePid) - cpu0;
    const b = process.cpuUsage(bench0);
    const sorted = Float64Array.from(this.tally.latencies).sort();
    const t = this.tally;
    const gauges = await serviceGauges(port);
    return {
      label, batches, readings, seconds: elapsed,
      // Acked batches only: a batch answered `unavailable` was not taken.
      batchesPerSec: t.latencies.length / elapsed, readingsPerSec: readings / elapsed,
      accepted: t.accepted, duplicates: t.duplicates, rejected: t.rejected, errors: t.errors, missed,
      p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN,
      serviceCpuMs, benchCpuMs: (b.user + b.system) / 1000, rssMiB: gauges.rssMiB, loopP99Ms: gauges.loopP99Ms, loopMaxMs: gauges.loopMaxMs,
      benchLoopP99Ms: loop.percentile(99) / 1e6, benchLoopMaxMs: loop.max / 1e6, benchGcMaxMs: gcMax, benchStall,
      sliceP99: slices(t, start, seconds),
    };
  }

  close(): void {
    for (const gw of this.gateways) gw.ws.close();
  }
}
