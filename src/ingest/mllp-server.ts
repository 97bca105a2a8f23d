import net from 'node:net';
import tls from 'node:tls';
import type { FastifyBaseLogger } from 'fastify';
import type { GatewayAuthenticator } from '../auth/gateways.ts';
import { MllpDecoder, encodeMllp } from './idco/index.ts';
import { handleIdco, type IdcoBounds } from './idco-handler.ts';
import { IdentityMismatchLimiter } from './idco/identity-guard.ts';
import type { IngestService } from './service.ts';
import { secureContextOptions, type TlsReloader } from '../tls/index.ts';

/** Longest a TLS handshake may take before the connection is closed. */
const HANDSHAKE_MS = 10_000;

export interface MllpServer {
  readonly port: () => number;
  /** Connections open now, and the most bytes one connection has held unanswered (for tests and metrics). */
  stats(): { connections: number; maxHeldBytes: number; refused: number; handshakeFailures: number };
  close(): Promise<void>;
}

export interface MllpOptions {
  host: string;
  port: number;
  gatewayKey: string;
  maxBytes: number;
  /** Peer addresses and CIDRs accepted; any other peer is closed on connect. */
  allow: readonly string[];
  maxConnections: number;
  idleMs: number;
  bounds: IdcoBounds;
  auth: GatewayAuthenticator;
  service: IngestService;
  log: FastifyBaseLogger;
  /**
   * MLLP over TLS, its context following the reloader's files; client certificates
   * `required` (mutual TLS: none, or one not signed by the client CA, fails the handshake),
   * `optional` (one that is presented must be signed by the client CA) or `off`. null: plain TCP.
   */
  tls: { reloader: TlsReloader; clientCert: 'required' | 'optional' | 'off' } | null;
}

/** The allow-list as a BlockList (its `check` is the membership test). */
export function allowList(entries: readonly string[]): net.BlockList {
  const list = new net.BlockList();
  for (const e of entries) {
    const [address = '', bits] = e.split('/');
    const family = net.isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(bits), family);
  }
  return list;
}

/** The peer's address as the allow-list sees it: an IPv4-mapped IPv6 address is IPv4. */
function peer(socket: net.Socket): { address: string; family: 'ipv4' | 'ipv6' } | null {
  const raw = socket.remoteAddress;
  if (!raw) return null;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(raw);
  if (mapped) return { address: mapped[1] as string, family: 'ipv4' };
  return { address: raw, family: net.isIP(raw) === 6 ? 'ipv6' : 'ipv4' };
}

/**
 * HL7 over MLLP (0x0B ... 0x1C 0x0D). MLLP carries no credentials, so every message is taken
 * as from the configured gateway key, checked per message (revoking it stops the listener's
 * ingest at once), and only peers on the allow-list may connect. Bounded: at most
 * `maxConnections` at once, a connection silent for `idleMs` (an unfinished frame included)
 * is closed, and a connection is not read while one of its messages is being answered or its
 * ACKs are not being read, so a sender that pipelines faster than the service works is held
 * back by TCP, not by the service's memory. Messages of one connection are answered in
 * order, one at a time, as MLLP senders expect.
 */
export async function startMllpServer(opts: MllpOptions): Promise<MllpServer> {
  const sockets = new Set<net.Socket>();
  // MLLP has no credentials: every peer is the one configured gateway, so mismatches are
  // counted per peer address, lest one prober get every other sender refused.
  const limiter = new IdentityMismatchLimiter();
  const allowed = allowList(opts.allow);
  const busy = new Set<Promise<void>>();
  let maxHeldBytes = 0;
  let refused = 0;
  let handshakeFailures = 0;
  /** The allow-list, checked on the TCP connection, before any TLS handshake is spent on it. */
  const admit = (socket: net.Socket): boolean => {
    const from = peer(socket);
    if (from && allowed.check(from.address, from.family)) return true;
    refused++;
    opts.log.warn({ peer: from?.address ?? 'unknown' }, 'MLLP connection from an address not in MLLP_ALLOW; closed');
    socket.destroy();
    return false;
  };
  const serve = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', (err) => opts.log.info({ err: { message: err.message } }, 'MLLP connection error'));
    socket.setTimeout(opts.idleMs, () => {
      opts.log.info('MLLP connection idle; closed');
      socket.destroy();
    });
    const decoder = new MllpDecoder({ maxMessageBytes: opts.maxBytes });
    const queue: Buffer[] = [];
    let held = 0;
    let working = false;

    async function drain(): Promise<void> {
      working = true;
      socket.pause();
      try {
        for (let m = queue.shift(); m !== undefined && !socket.destroyed; m = queue.shift()) {
          const open = await answer(m, socket);
          held -= m.length;
          if (!open) return;
        }
      } finally {
        working = false;
        queue.length = 0;
        if (!socket.destroyed) socket.resume();
      }
    }

    socket.on('data', (chunk) => {
      for (const ev of decoder.push(chunk)) {
        if (ev.type === 'error') {
          opts.log.info({ code: ev.code }, 'MLLP framing error; closing the connection');
          socket.destroy();
          return;
        }
        queue.push(ev.data);
        held += ev.data.length;
      }
      maxHeldBytes = Math.max(maxHeldBytes, held);
      if (queue.length > 0 && !working) {
        const work = drain();
        busy.add(work);
        void work.finally(() => busy.delete(work));
      }
    });
  };
  const server = opts.tls ? tlsServer(opts.tls, serve, opts.log) : net.createServer((socket) => void (admit(socket) && serve(socket)));
  if (opts.tls) {
    // Before tls.Server's own listener starts the handshake.
    server.prependListener('connection', (socket: net.Socket) => void admit(socket));
    server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: tls.TLSSocket) => {
      handshakeFailures++;
      opts.log.info({ peer: socket.remoteAddress ?? 'unknown', err: { code: err.code, message: err.message } }, 'MLLP TLS handshake failed; connection closed');
    });
    opts.tls.reloader.add(server as tls.Server);
  }
  server.maxConnections = opts.maxConnections;
  server.on('drop', () => {
    refused++;
    opts.log.warn({ max: opts.maxConnections }, 'MLLP connection refused: MLLP_MAX_CONNECTIONS reached');
  });

  /** Answers one message; false when the connection was closed. Waits while ACKs go unread. */
  async function answer(message: Buffer, socket: net.Socket): Promise<boolean> {
    try {
      const gw = await opts.auth.authenticate(`Bearer ${opts.gatewayKey}`);
      if (!gw) {
        opts.log.warn('MLLP_GATEWAY_KEY is unknown or revoked; closing the MLLP connection');
        socket.destroy();
        return false;
      }
      const sender = { transport: 'mllp' as const, address: socket.remoteAddress ?? 'unknown' };
      const reply = await handleIdco(message, gw, opts.service, { sender, limiter, log: opts.log, bounds: opts.bounds });
      if (socket.destroyed) return false;
      if (!socket.write(encodeMllp(reply.ack))) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            socket.off('drain', done);
            socket.off('close', done);
            resolve();
          };
          socket.on('drain', done);
          socket.on('close', done);
        });
      }
      return !socket.destroyed;
    } catch (err) {
      opts.log.error({ err }, 'unexpected fault handling an MLLP message; closing that connection');
      socket.destroy();
      return false;
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    port: () => (server.address() as net.AddressInfo).port,
    stats: () => ({ connections: sockets.size, maxHeldBytes, refused, handshakeFailures }),
    async close() {
      opts.tls?.reloader.remove(server as tls.Server);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.allSettled([...busy]);
      for (const s of sockets) s.end();
      setTimeout(() => sockets.forEach((s) => s.destroy()), 1000).unref();
      await closed;
    },
  };
}

/** The TLS listener: a connection is served once its handshake (and client certificate) passed. */
function tlsServer(opts: NonNullable<MllpOptions['tls']>, serve: (socket: net.Socket) => void, log: FastifyBaseLogger): tls.Server {
  const { clientCert } = opts;
  return tls.createServer(
    {
      ...secureContextOptions(opts.reloader.material),
      requestCert: clientCert !== 'off',
      rejectUnauthorized: clientCert === 'required',
      handshakeTimeout: HANDSHAKE_MS,
    },
    (socket) => {
      if (socket.destroyed) return; // refused by the allow-list meanwhile
      const cert = clientCert === 'off' ? null : socket.getPeerCertificate();
      const presented = cert !== null && Object.keys(cert).length > 0;
      // optional: a certificate that was presented must still be one the client CA signed.
      if (presented && !socket.authorized) {
        log.info({ peer: socket.remoteAddress ?? 'unknown', reason: String(socket.authorizationError) }, 'MLLP client certificate not signed by TLS_CLIENT_CA_FILE; connection closed');
        socket.destroy();
        return;
      }
      if (presented) log.info({ peer: socket.remoteAddress ?? 'unknown', client: cert.subject?.CN ?? null, fingerprint256: cert.fingerprint256 }, 'MLLP client certificate accepted');
      serve(socket);
    },
  );
}
