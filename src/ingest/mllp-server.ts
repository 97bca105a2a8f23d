import net from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import type { GatewayAuthenticator } from '../auth/gateways.ts';
import { MllpDecoder, encodeMllp } from './idco/index.ts';
import { handleIdco } from './idco-handler.ts';
import { IdentityMismatchLimiter } from './idco/identity-guard.ts';
import type { IngestService } from './service.ts';

export interface MllpServer {
  readonly port: () => number;
  close(): Promise<void>;
}

/**
 * HL7 over MLLP (0x0B ... 0x1C 0x0D). MLLP carries no credentials, so every
 * message is taken as from the configured gateway key; the key is checked per
 * message, so revoking it stops the listener's ingest at once. Messages of one
 * connection are answered in order, one at a time, as MLLP senders expect.
 */
export async function startMllpServer(opts: {
  host: string;
  port: number;
  gatewayKey: string;
  maxBytes: number;
  auth: GatewayAuthenticator;
  service: IngestService;
  log: FastifyBaseLogger;
}): Promise<MllpServer> {
  const sockets = new Set<net.Socket>();
  // MLLP has no credentials: every peer is the one configured gateway, so mismatches are
  // counted per peer address, lest one prober get every other sender refused.
  const limiter = new IdentityMismatchLimiter();
  const busy = new Set<Promise<void>>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', (err) => opts.log.info({ err: { message: err.message } }, 'MLLP connection error'));
    const decoder = new MllpDecoder({ maxMessageBytes: opts.maxBytes });
    let chain = Promise.resolve();
    socket.on('data', (chunk) => {
      for (const ev of decoder.push(chunk)) {
        if (ev.type === 'error') {
          opts.log.info({ code: ev.code }, 'MLLP framing error; closing the connection');
          socket.destroy();
          return;
        }
        const work = (chain = chain.then(() => answer(ev.data, socket)));
        busy.add(work);
        void work.finally(() => busy.delete(work));
      }
    });
  });

  async function answer(message: Buffer, socket: net.Socket): Promise<void> {
    try {
      const gw = await opts.auth.authenticate(`Bearer ${opts.gatewayKey}`);
      if (!gw) {
        opts.log.warn('MLLP_GATEWAY_KEY is unknown or revoked; closing the MLLP connection');
        socket.destroy();
        return;
      }
      const sender = { transport: 'mllp' as const, address: socket.remoteAddress ?? 'unknown' };
      const reply = await handleIdco(message, gw, opts.service, { sender, limiter, log: opts.log });
      if (!socket.destroyed) socket.write(encodeMllp(reply.ack));
    } catch (err) {
      opts.log.error({ err }, 'unexpected fault handling an MLLP message; closing that connection');
      socket.destroy();
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    port: () => (server.address() as net.AddressInfo).port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.allSettled([...busy]);
      for (const s of sockets) s.end();
      setTimeout(() => sockets.forEach((s) => s.destroy()), 1000).unref();
      await closed;
    },
  };
}
