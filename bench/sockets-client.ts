// One process of idle gateways for `npm run bench:sockets`: opens a WebSocket per key it is
// given, spread over loopback source addresses, then holds them (answering the service's pings,
// as ws does) until told to close. Started by bench/sockets.ts with an IPC channel, so that its
// memory is not the service's and its sockets not the service's file descriptors.
import WebSocket from 'ws';

export interface OpenOrder {
  type: 'open';
  url: string;
  keys: string[];
  /** Source addresses, taken in turn (127.0.0.2, 127.0.0.3, …). */
  sources: string[];
  /** Upgrades in flight at once. */
  concurrency: number;
}

export type ClientReport =
  | { type: 'progress'; open: number; failed: number; lost: number }
  | { type: 'opened'; open: number; failed: number; lost: number; seconds: number; errors: string[] }
  | { type: 'lost'; open: number; lost: number; errors: string[] };

const sockets: WebSocket[] = [];
let open = 0;
let failed = 0;
let lost = 0;
const errors = new Map<string, number>();

function report(m: ClientReport): void {
  process.send?.(m);
}

function noteError(message: string): void {
  errors.set(message, (errors.get(message) ?? 0) + 1);
}

const errorList = () => [...errors].map(([m, n]) => `${m} (x${n})`);

function connect(url: string, key: string, localAddress: string): Promise<void> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${key}` }, perMessageDeflate: false, localAddress });
    let opened = false;
    ws.once('open', () => {
      opened = true;
      open++;
      sockets.push(ws);
      resolve();
    });
    ws.on('error', (err) => {
      noteError(err.message);
      if (!opened) {
        failed++;
        resolve();
      }
    });
    ws.once('unexpected-response', (_req, res) => {
      noteError(`HTTP ${res.statusCode}`);
      ws.terminate();
    });
    ws.once('close', (code) => {
      if (!opened) return;
      if (!closing) {
        noteError(`closed by the service (${code})`);
        lost++;
        open--;
        report({ type: 'lost', open, lost, errors: errorList() });
      }
    });
  });
}

let closing = false;

async function openAll(o: OpenOrder): Promise<void> {
  const t0 = performance.now();
  let next = 0;
  const progress = setInterval(() => report({ type: 'progress', open, failed, lost }), 500);
  const worker = async () => {
    while (next < o.keys.length) {
      const i = next++;
      await connect(o.url, o.keys[i]!, o.sources[i % o.sources.length]!);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  clearInterval(progress);
  report({ type: 'opened', open, failed, lost, seconds: (performance.now() - t0) / 1000, errors: errorList() });
}

process.on('message', (m: OpenOrder | { type: 'close' }) => {
  if (m.type === 'open') void openAll(m);
  else {
    closing = true;
    for (const ws of sockets) ws.terminate();
    process.disconnect();
  }
});
// The bench gone (it crashed or was stopped): the sockets go with this process.
process.on('disconnect', () => process.exit(0));
