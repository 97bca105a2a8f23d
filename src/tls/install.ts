// The HTTPS side of TLS on the built app: its context follows renewed files, HSTS on every
// answer, and a failed handshake (a scanner, plain HTTP on the TLS port) is a debug line,
// not an error: it is the peer's doing and costs the service nothing.
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/index.ts';
import { installHsts } from '../http/security-headers.ts';
import { TlsReloader, warnIfExpiring, type SecureContextTarget } from './reload.ts';
import type { TlsMaterial } from './material.ts';

/** Longest an HTTPS client may take over its TLS handshake. */
export const HTTPS_HANDSHAKE_MS = 10_000;

export function installTls(app: FastifyInstance, config: Config, material: TlsMaterial | null): TlsReloader | null {
  if (material === null || config.tls.files === null) return null;
  const reloader = new TlsReloader(config.tls.files, material, app.log, config.tls.watchMs);
  reloader.add(app.server as unknown as SecureContextTarget);
  installHsts(app, config.tls.hstsMaxAge);
  app.server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: { remoteAddress?: string }) => {
    app.log.debug({ peer: socket.remoteAddress ?? 'unknown', err: { code: err.code } }, 'TLS handshake failed');
  });
  warnIfExpiring(material, app.log);
  app.addHook('onReady', () => reloader.start());
  app.addHook('onClose', () => reloader.stop());
  return reloader;
}
