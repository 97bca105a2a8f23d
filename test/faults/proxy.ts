import http from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import { freePort } from '../helpers/process.ts';

// A WebSocket relay between the simulator's gateways and the service that keeps the ledger
// the simulator's summary only counts: which (device, seq) were sent, and which the service
// acked. It outlives service restarts, so a test can ask "is every reading acked so far
// stored?" at the moment of a fault. Frames pass through unchanged.

interface Batch {
  keys: string[];
  sentAt: number;
}

export class AckLedger {
  /** Every (device, seq) sent at least once, as `device:seq`. */
  readonly sent = new Set<string>();
  /** Every (device, seq) the service acked (accepted or duplicate). */
  readonly acked = new Set<string>();
  readonly errors: Record<string, number> = {};
  /** Milliseconds from a batch's frame to its ack, in arrival order of the acks. */
  readonly ackLatencies: number[] = [];
  connections = 0;
  readonly url: string;
  private readonly server: http.Server;
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 64 << 20 });
  private readonly sockets = new Set<WebSocket>();
  /** The gateways' side of each relayed connection. */
  private readonly gateways = new Set<WebSocket>();

  private constructor(
    private readonly port: number,
    private readonly upstream: () => string,
  ) {
    this.url = `ws://127.0.0.1:${port}/v1/ingest`;
    this.server = http.createServer((_req, res) => res.writeHead(404).end());
    this.server.on('upgrade', (req, socket, head) => this.relay(req, socket, head));
  }

  /** `upstream` gives the service's ingest URL at the time of each connection. */
  static async start(upstream: () => string): Promise<AckLedger> {
    const ledger = new AckLedger(await freePort(), upstream);
    await new Promise<void>((resolve) => ledger.server.listen(ledger.port, '127.0.0.1', resolve));
    return ledger;
  }

  private relay(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => {});
    const headers: Record<string, string> = {};
    if (req.headers.authorization) headers.authorization = req.headers.authorization;
    const up = new WebSocket(this.upstream(), { headers, perMessageDeflate: false, maxPayload: 64 << 20 });
    up.once('unexpected-response', (_r, res) => {
      socket.end(`HTTP/1.1 ${res.statusCode} Refused\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      up.terminate();
    });
    up.once('error', () => socket.destroy()); // the service is away: the gateway retries
    up.once('open', () => {
      this.wss.handleUpgrade(req, socket, head, (down) => this.pipe(down, up));
    });
  }

  private pipe(down: WebSocket, up: WebSocket): void {
    this.connections++;
    this.sockets.add(down);
    this.sockets.add(up);
    this.gateways.add(down);
    const batches = new Map<string, Batch>();
    down.on('message', (data, isBinary) => {
      if (!isBinary) this.recordOutgoing(data.toString(), batches);
      if (up.readyState === WebSocket.OPEN) up.send(data, { binary: isBinary });
    });
    up.on('message', (data, isBinary) => {
      if (!isBinary) this.recordIncoming(data.toString(), batches);
      if (down.readyState === WebSocket.OPEN) down.send(data, { binary: isBinary });
    });
    // A clean close is passed on with its code; anything else (a killed service) drops the
    // gateway's connection without a close frame, as the real one would see it.
    up.on('close', (code, reason) => {
      this.sockets.delete(up);
      if (code === 1005 || code === 1006) down.terminate();
      else if (down.readyState === WebSocket.OPEN) down.close(code, reason);
    });
    down.on('close', () => {
      this.sockets.delete(down);
      this.gateways.delete(down);
      up.terminate();
    });
    up.on('error', () => {});
    down.on('error', () => {});
  }

  private recordOutgoing(text: string, batches: Map<string, Batch>): void {
    const m = JSON.parse(text) as { type?: string; id?: string; readings?: Array<{ device: string; seq: number }> };
    if (m.type !== 'readings' || typeof m.id !== 'string' || !Array.isArray(m.readings)) return;
    const keys = m.readings.map((r) => `${r.device}:${r.seq}`);
    for (const k of keys) this.sent.add(k);
    batches.set(m.id, { keys, sentAt: performance.now() });
  }

  private recordIncoming(text: string, batches: Map<string, Batch>): void {
    const m = JSON.parse(text) as { type?: string; id?: string; code?: string; rejected?: Array<{ index: number }> };
    if (typeof m.id !== 'string') return;
    const batch = batches.get(m.id);
    if (m.type === 'error' && m.code) this.errors[m.code] = (this.errors[m.code] ?? 0) + 1;
    if (!batch) return;
    batches.delete(m.id);
    if (m.type !== 'ack') return;
    this.ackLatencies.push(performance.now() - batch.sentAt);
    const rejected = new Set((m.rejected ?? []).map((r) => r.index));
    batch.keys.forEach((k, i) => {
      if (!rejected.has(i)) this.acked.add(k);
    });
  }

  /**
   * Cut every gateway's connection without a close frame, as a network blip would: the
   * gateways reconnect (through a load balancer, maybe to another instance) and resend what
   * was not acked. Returns how many were cut.
   */
  dropAll(): number {
    const n = this.gateways.size;
    for (const g of this.gateways) g.terminate();
    return n;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.terminate();
    this.wss.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
