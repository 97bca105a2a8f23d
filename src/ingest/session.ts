import type { WebSocket, RawData } from 'ws';
import type { FastifyBaseLogger } from 'fastify';
import { ServiceError } from '../errors.ts';
import type { GatewayIdentity } from '../auth/gateways.ts';
import type { Metrics } from '../observability/metrics.ts';
import { onWebSocketError } from '../http/websocket.ts';
import { parseMessage, type Limits } from './protocol.ts';
import type { IngestService } from './service.ts';

export const CLOSE = { shutdown: 1001, policy: 1008, tooBig: 1009, internal: 1011 } as const;

// A gateway that sends faster than batches are stored stops being read (TCP
// backpressure) until it is answered, so no socket can queue unbounded work.
const PAUSE_AT = 64;
const RESUME_AT = 16;
// Likewise a gateway that sends frames but does not read its replies: past this many
// unsent reply bytes the socket stops being read until the peer catches up. Without it,
// tiny bad frames answered at once made the server buffer replies without bound.
export const MAX_UNREAD_REPLY_BYTES = 4 * 1024 * 1024;

const kSession = Symbol('gateway session');
type SessionSocket = WebSocket & { [kSession]: GatewaySession };

/**
 * One gateway socket. Every frame is answered (ack, status or error) and a bad
 * frame never closes the socket; an unexpected fault closes only this one (1011).
 *
 * Tens of thousands of them may be open, mostly idle: the socket's listeners are functions
 * shared by every session (`this` is the socket, which points back to its session), not
 * closures made for each one.
 */
export class GatewaySession {
  lastSeen = Date.now();
  /** Called once the socket has closed (the hub forgets it). */
  onClosed: ((session: GatewaySession) => void) | null = null;
  private readonly inflight = new Set<Promise<void>>();
  private draining = false;
  private retryAfterMs = 0;

  constructor(
    readonly socket: WebSocket,
    readonly gateway: GatewayIdentity,
    private readonly service: IngestService,
    private readonly limits: Limits,
    private readonly metrics: Metrics,
    private readonly log: FastifyBaseLogger,
  ) {
    (socket as SessionSocket)[kSession] = this;
    socket.on('close', GatewaySession.socketClosed);
  }

  /** Read frames and pongs. */
  start(): void {
    this.socket.on('message', GatewaySession.socketMessage);
    this.socket.on('pong', GatewaySession.socketPong);
    // Sockets not upgraded through the ingest route (tests) have no 'error' listener yet.
    if (this.socket.listenerCount('error') === 0) this.socket.on('error', GatewaySession.socketError);
  }

  /**
   * The socket's one 'error' listener, in place of @fastify/websocket's (see
   * `releaseUpgradeRequest`): ws emits 'error' before closing on protocol faults (e.g. 1009
   * too big), and without a listener it would be thrown.
   */
  static socketError(this: WebSocket, err: Error): void {
    const session = (this as SessionSocket)[kSession];
    onWebSocketError(err, this, session.log);
    session.log.info({ err: { message: err.message } }, 'gateway socket error');
  }

  private static socketMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
    (this as SessionSocket)[kSession].onMessage(data, isBinary);
  }

  private static socketPong(this: WebSocket): void {
    (this as SessionSocket)[kSession].lastSeen = Date.now();
  }

  private static socketClosed(this: WebSocket): void {
    const session = (this as SessionSocket)[kSession];
    session.onClosed?.(session);
  }

  /**
   * Stop taking new frames (they are answered `unavailable`) and resolve once
   * every frame received before has been answered.
   */
  async drain(retryAfterMs: number): Promise<void> {
    this.draining = true;
    this.retryAfterMs = retryAfterMs;
    await Promise.allSettled([...this.inflight]);
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    this.lastSeen = Date.now();
    if (isBinary) {
      this.sendError(null, 'bad_message', 'binary frames are not accepted: send UTF-8 JSON text');
      return;
    }
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : data.toString('utf8');
    const msg = parseMessage(text, this.limits);
    if (this.draining && msg.type !== 'error') {
      this.sendError(msg.id, 'unavailable', 'server shutting down', this.retryAfterMs);
      return;
    }
    if (msg.type === 'error') {
      this.sendError(msg.id, msg.code, msg.message);
      return;
    }
    const work =
      msg.type === 'readings'
        ? this.service.ingest(this.gateway, msg.id, msg.readings, 'ws').then((ack) => this.send({ type: 'ack', id: msg.id, ...ack }))
        : this.service.status(this.gateway, msg.devices).then((devices) => this.send({ type: 'status', id: msg.id, devices }));
    const tracked = work.catch((err: unknown) => this.onFailure(msg.id, err));
    this.inflight.add(tracked);
    this.flow();
    void tracked.finally(() => {
      this.inflight.delete(tracked);
      this.flow();
    });
  }

  /** Pause reading while too many frames are in flight or too many reply bytes unsent; resume when both are low. */
  private flow(): void {
    // Closing: the socket must stay readable for the peer's close frame.
    if (this.socket.readyState !== this.socket.OPEN) return;
    const unread = this.socket.bufferedAmount;
    if (!this.socket.isPaused) {
      if (this.inflight.size >= PAUSE_AT || unread > MAX_UNREAD_REPLY_BYTES) this.socket.pause();
    } else if (!this.draining && this.inflight.size <= RESUME_AT && unread <= MAX_UNREAD_REPLY_BYTES / 4) {
      this.socket.resume();
    }
  }

  private onFailure(id: string, err: unknown): void {
    if (err instanceof ServiceError) {
      this.sendError(id, err.code, err.message, err.retryAfterMs);
      return;
    }
    this.log.error({ err }, 'unexpected fault handling a gateway message; closing that socket');
    this.close(CLOSE.internal, 'internal error');
  }

  private sendError(id: string | null, code: string, message: string, retryAfterMs?: number): void {
    this.metrics.batchErrors.inc({ code });
    this.send({ type: 'error', id, code, message, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
  }

  private send(body: object): void {
    // A peer that is gone gets nothing: it resends whatever it saw no ack for.
    if (this.socket.readyState !== this.socket.OPEN) return;
    // The callback runs once this reply is handed to the OS: the peer is reading again.
    this.socket.send(JSON.stringify(body), () => this.flow());
    this.flow();
  }

  close(code: number, reason: string): void {
    // A paused socket could not read the peer's close frame, and the close
    // handshake would hang until ws's timeout.
    if (this.socket.isPaused) this.socket.resume();
    if (this.socket.readyState === this.socket.OPEN || this.socket.readyState === this.socket.CONNECTING) {
      this.socket.close(code, reason);
      // A peer that never answers the close frame would hold the socket (and a shutdown
      // waiting for it) for ws's 30 s close timeout: everything owed to it was sent.
      setTimeout(() => this.socket.terminate(), CLOSE_HANDSHAKE_MS).unref();
    }
  }
}

/** How long a closing socket waits for the peer's close frame before it is cut. */
export const CLOSE_HANDSHAKE_MS = 2000;
