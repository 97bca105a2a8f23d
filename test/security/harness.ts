import WebSocket from 'ws';
import { expect } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import { readings, TestGateway } from '../helpers/gateway.ts';

// A service under attack, watched: its log stream (any line at level ≥ 50, error or
// fatal, is a fault: unhandled errors are logged there), liveness, and a bystander
// gateway that must still get its acks.

/** fast-check runs per property; FUZZ_RUNS=5000 npm test for a longer campaign. */
export const RUNS = Number(process.env.FUZZ_RUNS ?? 250);

export interface Watched {
  readonly tdb: TestDatabase;
  readonly svc: RunningService;
  readonly key: string;
  readonly site: string;
  readonly lines: string[];
  /** Log lines at level error (50) or fatal (60) written since the last call. */
  severe(): Array<Record<string, unknown>>;
  close(): Promise<void>;
}

export async function startWatched(adminUrl: string, env: Record<string, string> = {}): Promise<Watched> {
  const tdb = await createTestDatabase(adminUrl);
  const lines: string[] = [];
  const svc = await startService(tdb.db, tdb.url, { LOG_LEVEL: 'warn', ...env }, { write: (l) => void lines.push(l) });
  const gw = await seedGateway(tdb.db);
  let checked = 0;
  return {
    tdb, svc, key: gw.key, site: gw.site, lines,
    severe: () => {
      // Each check reports the lines written since the previous one.
      const fresh = lines.slice(checked);
      checked = lines.length;
      return fresh.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => Number(l.level) >= 50);
    },
    close: async () => {
      await svc.close();
      await tdb.drop();
    },
  };
}

let bystanderSeq = 0;

/** The service still answers /health/live, and a fresh gateway's batch is acked. No error was logged. */
export async function expectUnharmed(w: Watched): Promise<void> {
  const live = await fetch(`${w.svc.httpUrl}/health/live`);
  expect(live.status).toBe(200);
  const gw = await TestGateway.open(w.svc.wsUrl, w.key);
  const id = `bystander-${++bystanderSeq}`;
  expect(await gw.batch(id, readings('BYSTANDER-1', bystanderSeq * 10, 1))).toMatchObject({ type: 'ack', id, accepted: 1 });
  gw.close();
  expect(w.severe()).toEqual([]);
  expect(({} as Record<string, unknown>).polluted, 'Object.prototype was polluted').toBeUndefined();
}

/**
 * A gateway socket for fuzzing: replies are queued in arrival order and taken one per
 * frame, so each frame is checked against its own reply.
 */
export class FuzzSocket {
  private readonly queue: Array<Record<string, unknown>> = [];
  private waiter: ((m: Record<string, unknown>) => void) | null = null;
  closed: { code: number; reason: string } | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as Record<string, unknown>;
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = null;
        w(m);
      } else this.queue.push(m);
    });
    this.closing = new Promise((resolve) =>
      ws.on('close', (code, reason) => {
        this.closed = { code, reason: reason.toString() };
        resolve(this.closed);
      }));
  }

  /** Resolves when the socket closes, with the code the server sent. */
  readonly closing: Promise<{ code: number; reason: string }>;

  static open(url: string, key: string): Promise<FuzzSocket> {
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${key}` } });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new FuzzSocket(ws)));
      ws.once('error', reject);
    });
  }

  /** Send one frame and resolve with the next reply, or reject after `ms`. */
  exchange(frame: string | Buffer, binary = false, ms = 10_000): Promise<Record<string, unknown>> {
    if (this.queue.length > 0) throw new Error(`unread replies before sending: ${JSON.stringify(this.queue).slice(0, 300)}`);
    this.ws.send(frame, { binary });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error(`no reply within ${ms} ms (socket ${this.closed ? `closed ${JSON.stringify(this.closed)}` : 'open'})`));
      }, ms);
      this.waiter = (m) => {
        clearTimeout(timer);
        resolve(m);
      };
    });
  }

  close(): void {
    this.ws.close();
  }
}
