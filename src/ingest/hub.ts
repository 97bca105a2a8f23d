import type { Metrics } from '../observability/metrics.ts';
import { CLOSE, type GatewaySession } from './session.ts';

/** The open gateway sockets: heartbeat, revocation and shutdown act on them. */
export class GatewayHub {
  private readonly sessions = new Set<GatewaySession>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly metrics: Metrics,
    private readonly pingIntervalMs: number,
    private readonly idleTimeoutMs: number,
  ) {}

  /** False when the hub is closed and turned the session away. */
  add(session: GatewaySession): boolean {
    // A gateway reconnecting while the service stops (its upgrade raced the close) is
    // turned away at once; otherwise the server would wait for it forever.
    if (this.closed) {
      session.close(CLOSE.shutdown, 'server shutting down');
      return false;
    }
    this.sessions.add(session);
    this.metrics.socketsOpen.set(this.sessions.size);
    session.socket.once('close', () => {
      this.sessions.delete(session);
      this.metrics.socketsOpen.set(this.sessions.size);
    });
    this.timer ??= setInterval(() => this.heartbeat(), this.pingIntervalMs).unref();
    return true;
  }

  gatewayIds(): number[] {
    return [...new Set([...this.sessions].map((s) => s.gateway.gatewayId))];
  }

  closeGateway(gatewayId: number, code: number, reason: string): number {
    let n = 0;
    for (const s of this.sessions) {
      if (s.gateway.gatewayId === gatewayId) {
        s.close(code, reason);
        n++;
      }
    }
    return n;
  }

  /** Refuse new frames and wait until every frame received has been answered. */
  async drain(retryAfterMs: number): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await Promise.all([...this.sessions].map((s) => s.drain(retryAfterMs)));
  }

  closeAll(): void {
    this.closed = true;
    for (const s of this.sessions) s.close(CLOSE.shutdown, 'server shutting down');
  }

  private heartbeat(): void {
    const now = Date.now();
    for (const s of this.sessions) {
      if (now - s.lastSeen > this.idleTimeoutMs) {
        s.socket.terminate();
      } else if (s.socket.readyState === s.socket.OPEN) {
        s.socket.ping();
      }
    }
  }
}
