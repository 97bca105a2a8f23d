// The service's memory as it sees it, through the V8 inspector (the service started with
// `--inspect=127.0.0.1:<port>`): a full garbage collection first, so the heap figures are of
// live objects only and two readings compare.
import WebSocket from 'ws';

/** Period of the event-loop delay histogram's timer, ms. */
const LOOP_TICK_MS = 10;

interface Pending {
  resolve(result: Record<string, unknown>): void;
  reject(err: Error): void;
}

export class Inspector {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as { id?: number; result?: Record<string, unknown>; error?: { message: string } };
      const p = m.id === undefined ? undefined : this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id!);
      if (m.error) p.reject(new Error(m.error.message));
      else p.resolve(m.result ?? {});
    });
  }

  static async connect(port: number): Promise<Inspector> {
    const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{ webSocketDebuggerUrl: string }>;
    const ws = new WebSocket(targets[0]!.webSocketDebuggerUrl, { perMessageDeflate: false });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    return new Inspector(ws);
  }

  call(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    this.ws.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  /** process.memoryUsage() of the service right after a full garbage collection. */
  async memory(): Promise<NodeJS.MemoryUsage> {
    await this.call('HeapProfiler.collectGarbage');
    return JSON.parse(await this.evaluate('JSON.stringify(process.memoryUsage())')) as NodeJS.MemoryUsage;
  }

  /** Starts a histogram of the service's event-loop delay; `loopDelay` reads and resets it. */
  async watchLoopDelay(): Promise<void> {
    await this.evaluate(`globalThis.__benchLoopDelay ??= process.getBuiltinModule('node:perf_hooks').monitorEventLoopDelay({ resolution: ${LOOP_TICK_MS} });
      globalThis.__benchLoopDelay.enable(); globalThis.__benchLoopDelay.reset(); ''`);
  }

  /**
   * Event-loop delay since the last reading, ms (p50, p99, max): how late the histogram's
   * timer ran, its own period taken off.
   */
  async loopDelay(): Promise<{ p50: number; p99: number; max: number }> {
    const h = JSON.parse(await this.evaluate(`(() => { const h = globalThis.__benchLoopDelay;
      const r = JSON.stringify({ p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6 }); h.reset(); return r; })()`)) as { p50: number; p99: number; max: number };
    const late = (ms: number) => Math.max(0, ms - LOOP_TICK_MS);
    return { p50: late(h.p50), p99: late(h.p99), max: late(h.max) };
  }

  private async evaluate(expression: string): Promise<string> {
    const r = await this.call('Runtime.evaluate', { expression, returnByValue: true });
    if (r.exceptionDetails) throw new Error(`inspector: ${JSON.stringify(r.exceptionDetails)}`);
    return (r.result as { value: string }).value;
  }

  close(): void {
    this.ws.close();
  }
}
