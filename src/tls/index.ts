// TLS at start: the material the listeners are built with, and the one line that says
// what is and is not encrypted in transit.
import type { FastifyBaseLogger } from 'fastify';
import { ConfigError, type Config } from '../config/index.ts';
import { isDevelopmentCertificate } from './dev-cert.ts';
import { loadTlsMaterial, TlsMaterialError, type TlsMaterial } from './material.ts';

export { TlsReloader, warnIfExpiring, type SecureContextTarget } from './reload.ts';
export { secureContextOptions, type TlsMaterial } from './material.ts';

/**
 * The certificate, key and client CA the service starts with; null when TLS is off. A file
 * that cannot be used, or the development certificate in production, is a ConfigError.
 */
export async function loadStartupMaterial(config: Config): Promise<TlsMaterial | null> {
  const { files, production, mode } = config.tls;
  if (files === null) return null;
  let material: TlsMaterial;
  try {
    material = await loadTlsMaterial(files);
  } catch (err) {
    if (!(err instanceof TlsMaterialError)) throw err;
    throw new ConfigError([{ variable: mode === 'dev' ? 'TLS' : 'TLS_CERT_FILE', problem: err.message }]);
  }
  if (production && isDevelopmentCertificate(material.info.issuer)) {
    throw new ConfigError([{ variable: 'TLS_CERT_FILE', problem: 'is the generated development certificate, refused when NODE_ENV=production' }]);
  }
  return material;
}

/** Said once at start: TLS off is a warning, since everything then crosses the network in clear. */
export function announceTls(config: Config, log: FastifyBaseLogger): void {
  const { tls } = config;
  if (tls.mode === 'off') {
    log.warn(
      'TLS is off: HTTP, WebSocket and MLLP traffic (patient data, keys, passwords) is unencrypted; set TLS_CERT_FILE and TLS_KEY_FILE, or run behind a TLS-terminating proxy with COOKIE_SECURE=true',
    );
    return;
  }
  const mllp = config.idco.mllpPort === null ? 'no listener' : !tls.mllp ? 'plain TCP (MLLP_TLS=off)' : `TLS, client certificates ${tls.mllpClientCert}`;
  log.info({ mode: tls.mode, certificate: tls.files?.certFile, mllp, hstsMaxAge: tls.hstsMaxAge, cookieSecure: config.sessions.secure }, 'TLS on: HTTPS and WSS');
  if (config.idco.mllpPort !== null && !tls.mllp) log.warn('MLLP_TLS=off: HL7 messages (patient identifiers) cross the network unencrypted');
}
