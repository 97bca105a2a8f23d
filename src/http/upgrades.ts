import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * The raw sockets of WebSocket upgrade requests, so that shutdown cannot wait on one forever.
 *
 * While Fastify closes it answers any new request with 503 before a single hook runs. For an
 * upgrade request that answer is written straight to the raw socket, which the HTTP server no
 * longer manages (it handed the socket over on 'upgrade') and which is half-open by default:
 * nothing ever closes it, and `server.close()` waits for it without end. A gateway or dashboard
 * that reconnects in the moment the service starts to stop would hold the shutdown until the
 * grace timer kills the process.
 *
 * Once `close()` is called, every upgrade socket still open, and every one that arrives later,
 * is cut `cutAfterMs` later: by then a WebSocket session has been told to close (and is cut at
 * the same deadline by its own timer), and a refused upgrade has had its answer written.
 */
export class UpgradeSockets {
  private readonly open = new Set<Duplex>();
  private closing = false;

  constructor(server: Server, private readonly cutAfterMs: number) {
    // One listener for every socket (`this` is the socket): gateways hold tens of thousands.
    const open = this.open;
    function forget(this: Duplex) {
      open.delete(this);
    }
    server.on('upgrade', (_req, socket: Duplex) => {
      this.open.add(socket);
      socket.on('close', forget);
      if (this.closing) this.cutLater(socket);
    });
  }

  /** How many upgrade sockets are open (WebSocket sessions and refused upgrades alike). */
  get size(): number {
    return this.open.size;
  }

  close(): void {
    if (this.closing) return;
    this.closing = true;
    for (const socket of this.open) this.cutLater(socket);
  }

  private cutLater(socket: Duplex): void {
    setTimeout(() => socket.destroy(), this.cutAfterMs).unref();
  }
}
