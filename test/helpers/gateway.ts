import WebSocket from 'ws';

export interface Reading {
  device: string;
  seq: number;
  at: string;
  metric: string;
  value: number;
  unit?: string;
}

/** A minimal test gateway: send frames, await the reply that names an id. */
export class TestGateway {
  readonly messages: Array<Record<string, unknown>> = [];
  private waiters: Array<{ match: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }> = [];
  closed: Promise<{ code: number; reason: string }>;
  /** Awaited by `batch` after the reply: a gateway of an in-process service waits for its alerts there (helpers/service.ts). */
  afterReply: (() => Promise<void>) | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as Record<string, unknown>;
      this.messages.push(m);
      const i = this.waiters.findIndex((w) => w.match(m));
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(m);
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** `options`: more of ws's client options (over wss, the `ca` to trust). */
  static open(url: string, key: string | null, headers: Record<string, string> = {}, autoPong = true, options: WebSocket.ClientOptions = {}): Promise<TestGateway> {
    const ws = new WebSocket(url, { ...options, autoPong, headers: { ...(key ? { Authorization: `Bearer ${key}` } : {}), ...headers } });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new TestGateway(ws)));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  /** Resolves with the first message (already received or future) matching. */
  next(match: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    const seen = this.messages.find(match);
    if (seen) {
      this.messages.splice(this.messages.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  reply(id: string | null): Promise<Record<string, unknown>> {
    return this.next((m) => m.id === id);
  }

  sendRaw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary });
  }

  async batch(id: string, readings: unknown[]): Promise<Record<string, unknown>> {
    this.sendRaw(JSON.stringify({ type: 'readings', id, readings }));
    const reply = await this.reply(id);
    await this.afterReply?.();
    return reply;
  }

  close(): void {
    this.ws.close();
  }
}

/** `n` readings of one device from seq `from`, one per day from 2026-01-01. */
export function readings(device: string, from: number, n: number, metric = 'thoracic_impedance', value = 70): Reading[] {
  return Array.from({ length: n }, (_, i) => ({
    device,
    seq: from + i,
    at: new Date(Date.UTC(2026, 0, 1) + (from + i) * 3600_000).toISOString(),
    metric,
    value: value + ((from + i) % 10) / 10,
  }));
}
