// Opening the ingest socket, with a refused key told apart from a service that is away.
import WebSocket from 'ws';
import { GatewayFatalError } from './errors.ts';
import { parseServerMessage } from './protocol.ts';

export interface SocketHandlers {
  open(ws: WebSocket): void;
  message(text: string): void;
  ping(): void;
  /** Only for a socket that had opened; a failed attempt rejects instead. */
  close(ws: WebSocket, code: number, reason: string): void;
}

export function openSocket(url: string, key: string, on: SocketHandlers, ca?: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {
      ...(ca ? { ca } : {}),
      headers: { Authorization: `Bearer ${key}` },
      perMessageDeflate: false,
      maxPayload: 16 * 1024 * 1024,
      handshakeTimeout: 10_000,
    });
    let opened = false;
    ws.on('open', () => {
      opened = true;
      on.open(ws);
      resolve(ws);
    });
    ws.on('error', (err) => {
      if (opened) return; // 'close' follows and handles it
      // ws reports a non-101 upgrade answer only through this message.
      const status = /Unexpected server response: (\d+)/.exec(err.message)?.[1];
      if (status === '401') reject(new GatewayFatalError('unauthorized', `gateway key refused by ${url} (HTTP 401)`));
      else reject(err);
    });
    ws.on('message', (data) => on.message(String(data)));
    ws.on('ping', () => on.ping());
    ws.on('close', (code, reason) => {
      if (opened) on.close(ws, code, reason.toString());
    });
  });
}

/**
 * Sends a `status` request and resolves with each known device's lastSeq, or null when no
 * reply comes in time or the socket closes (the caller then resends everything, which is safe).
 */
export function requestStatus(ws: WebSocket, id: string, devices: readonly string[], timeoutMs: number): Promise<Map<string, number> | null> {
  return new Promise((resolve) => {
    const finish = (v: Map<string, number> | null): void => {
      clearTimeout(timer);
      ws.off('message', onMessage);
      ws.off('close', onClose);
      resolve(v);
    };
    const onMessage = (data: WebSocket.RawData): void => {
      const m = parseServerMessage(String(data));
      if (m?.type !== 'status' || m.id !== id) return;
      const last = new Map<string, number>();
      for (const [d, v] of Object.entries(m.devices)) if (v) last.set(d, v.lastSeq);
      finish(last);
    };
    const onClose = (): void => finish(null);
    const timer = setTimeout(() => finish(null), timeoutMs);
    ws.on('message', onMessage);
    ws.on('close', onClose);
    ws.send(JSON.stringify({ type: 'status', id, devices }));
  });
}
