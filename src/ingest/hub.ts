import type { Metrics } from '../observability/metrics.ts';
import { CLOSE, type GatewaySession } from './session.ts';

/** Longest period of the heartbeat's timer: each tick pings the next share of the sockets. */
const HEARTBEAT_TICK_MS = 100;

/**
 * The open gateway sockets: heartbeat, revocation and shutdown act on them.
 *
 * The heartbeat pings every socket once a ping interval (and drops one silent for longer than
 * the idle limit), spread over the interval: every tick takes the next share of the sockets, so
 * that tens of thousands of sockets are never pinged in one go. Pinging 20,000 at once held
 * the event loop for 2.6 s on two shared cores.
 */
export class GatewayHub {
  private readonly sessions = new Set<GatewaySession>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly tickMs: number;
  /** The sockets of this ping interval's round, in the order they joined; null before the first. */
  private round: Iterator<GatewaySession> | null = null;
  private roundStarted = 0;
  /** Sockets the round has still to visit: those there when it began and those that joined since. */
  private roundLeft = 0;

  constructor(
    private readonly metrics: Metrics,
    private readonly pingIntervalMs: number,
    private readonly idleTimeoutMs: number,
    /** Sockets admitted at once (src/ingest/capacity.ts). */
    private readonly maxSockets = Infinity,
  ) {
    this.tickMs = Math.max(1, Math.min(HEARTBEAT_TICK_MS, Math.floor(pingIntervalMs / 4)));
  }

  /** A closed session leaves (one function for all of them). */
  private readonly forget = (session: GatewaySession): void => {
    this.sessions.delete(session);
    this.metrics.socketsOpen.set(this.sessions.size);
  };

  /** True when as many sockets are open as are admitted: a new upgrade is turned away. */
  get full(): boolean {
    return this.sessions.size >= this.maxSockets;
  }

  /** False when the hub is closed and turned the session away. */
  add(session: GatewaySession): boolean {
    // A gateway reconnecting while the service stops (its upgrade raced the close) is
    // turned away at once; otherwise the server would wait for it forever.
    if (this.closed) {
      session.close(CLOSE.shutdown, 'server shutting down');
      return false;
    }
    this.sessions.add(session);
    // The round's iterator reaches it: visited before the round ends, pinged within one interval.
    if (this.roundLeft > 0) this.roundLeft++;
    this.metrics.socketsOpen.set(this.sessions.size);
    session.onClosed = this.forget;
    if (this.timer === null) {
      // The first round starts one ping interval after the first socket, as every later one does.
      this.roundStarted = Date.now();
      this.timer = setInterval(() => this.heartbeat(), this.tickMs).unref();
    }
    return true;
  }

  gatewayIds(): number[] {
    const ids = new Set<number>();
    for (const s of this.sessions) ids.add(s.gateway.gatewayId);
    return [...ids];
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

  /**
   * One tick: the next sockets of the round, what is left of it spread over what is left of the
   * interval, so that a round ends within its interval however many sockets join meanwhile (a
   * round that dragged on while thousands joined would leave the first ones unpinged for longer
   * than the idle limit).
   */
  private heartbeat(): void {
    const now = Date.now();
    if (this.round === null || this.roundLeft <= 0) {
      if (now - this.roundStarted < this.pingIntervalMs) return;
      // A Set's iterator goes on past deletions and reaches sockets added meanwhile.
      this.round = this.sessions.values();
      this.roundStarted = now;
      this.roundLeft = this.sessions.size;
    }
    const ticksLeft = Math.max(1, Math.floor((this.roundStarted + this.pingIntervalMs - now) / this.tickMs));
    for (let share = Math.ceil(this.roundLeft / ticksLeft); share > 0; share--) {
      const next = this.round.next();
      if (next.done) {
        this.roundLeft = 0;
        return;
      }
      this.roundLeft--;
      const s = next.value;
      if (now - s.lastSeen > this.idleTimeoutMs) {
        s.socket.terminate();
      } else if (s.socket.readyState === s.socket.OPEN) {
        s.socket.ping();
      }
    }
  }
}
