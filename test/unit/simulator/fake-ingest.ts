// A small in-process ingest service for the gateway tests: acks, duplicate detection by
// (device, seq), an `unavailable` error and a dropped connection on demand.
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

interface WireReading { device: string; seq: number; at: string; metric: string; value: number }

export interface FakeIngestOptions {
  readonly key: string;
  /** Answer the n-th readings batch (1-based) with `unavailable` and store nothing. */
  readonly unavailableAt?: number;
  /** An outage: this many batches from `unavailableAt` on are answered `unavailable` (default 1). */
  readonly unavailableFor?: number;
  /** Store the n-th batch, then drop the socket before its ack goes out. */
  readonly dropAfterStoring?: number;
}

export interface FakeIngest {
  readonly url: string;
  /** Content by `device/seq`. */
  readonly stored: Map<string, string>;
  /** How many times each `device/seq` was accepted (must end at 1). */
  readonly accepts: Map<string, number>;
  readonly counts: { batches: number; unavailable: number; drops: number; statusRequests: number; upgradesRefused: number };
  close(): Promise<void>;
}

export async function startFakeIngest(opts: FakeIngestOptions): Promise<FakeIngest> {
  const stored = new Map<string, string>();
  const accepts = new Map<string, number>();
  const counts = { batches: 0, unavailable: 0, drops: 0, statusRequests: 0, upgradesRefused: 0 };
  const wss = new WebSocketServer({
    port: 0,
    verifyClient: (info, done) => {
      const ok = info.req.headers.authorization === `Bearer ${opts.key}`;
      if (!ok) counts.upgradesRefused++;
      done(ok, 401, 'Unauthorized');
    },
  });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));

  const onBatch = (ws: WebSocket, id: string, readings: WireReading[]): void => {
    const n = ++counts.batches;
    const from = opts.unavailableAt;
    if (from !== undefined && n >= from && n < from + (opts.unavailableFor ?? 1)) {
      counts.unavailable++;
      ws.send(JSON.stringify({ type: 'error', id, code: 'unavailable', message: 'storage unavailable', retryAfterMs: 20 }));
      return;
    }
    let accepted = 0;
    let duplicates = 0;
    for (const r of readings) {
      const key = `${r.device}/${r.seq}`;
      const content = JSON.stringify([r.at, r.metric, r.value]);
      if (stored.get(key) === content) {
        duplicates++;
        continue;
      }
      stored.set(key, content);
      accepts.set(key, (accepts.get(key) ?? 0) + 1);
      accepted++;
    }
    if (n === opts.dropAfterStoring) {
      counts.drops++;
      ws.terminate();
      return;
    }
    ws.send(JSON.stringify({ type: 'ack', id, accepted, duplicates, rejected: [] }));
  };

  wss.on('connection', (ws) => {
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { type: string; id: string; readings?: WireReading[]; devices?: string[] };
      if (m.type === 'readings') onBatch(ws, m.id, m.readings ?? []);
      else if (m.type === 'status') {
        counts.statusRequests++;
        const devices: Record<string, { lastSeq: number } | null> = {};
        for (const d of m.devices ?? []) {
          let last = -1;
          for (const key of stored.keys()) {
            const slash = key.lastIndexOf('/');
            if (key.slice(0, slash) === d) last = Math.max(last, Number(key.slice(slash + 1)));
          }
          devices[d] = last < 0 ? null : { lastSeq: last };
        }
        ws.send(JSON.stringify({ type: 'status', id: m.id, devices }));
      }
    });
  });

  const port = (wss.address() as AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}/v1/ingest`,
    stored,
    accepts,
    counts,
    close: () => new Promise<void>((resolve) => {
      for (const c of wss.clients) c.terminate();
      wss.close(() => resolve());
    }),
  };
}
