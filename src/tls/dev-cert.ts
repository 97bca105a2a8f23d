// TLS=dev: a development certificate for this machine (localhost, 127.0.0.1, ::1), made on
// first start into the data folder, files 0600. It is signed by a CA made for it whose
// private key is thrown away at once, so trusting dev-ca.pem in a browser trusts this one
// certificate and nothing anyone could sign later. Refused in production (config).
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { DEV_FILES } from '../config/tls.ts';
import { loadTlsMaterial, type TlsFiles } from './material.ts';

/** The development CA's name: a certificate it issued is refused when NODE_ENV=production. */
export const DEV_CA_NAME = 'cardiac-telemetry development CA (not for production)';

export interface DevCertificatePaths extends TlsFiles {
  readonly caFile: string;
}

export function devCertificatePaths(dir: string): DevCertificatePaths {
  return { certFile: path.join(dir, DEV_FILES.cert), keyFile: path.join(dir, DEV_FILES.key), caFile: path.join(dir, DEV_FILES.ca), clientCaFile: null };
}

/** True when the certificate was issued by the development CA. */
export function isDevelopmentCertificate(issuer: string): boolean {
  return issuer.includes(DEV_CA_NAME);
}

/** Written to a new 0600 file, synced, renamed over: never readable by others, even briefly. */
function writePrivate(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.rmSync(tmp, { force: true });
  const fd = fs.openSync(tmp, 'wx', 0o600);
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/** Make the development pair in `dir` unless a usable one is there; returns its paths. */
export async function ensureDevCertificate(dir: string, log: FastifyBaseLogger): Promise<DevCertificatePaths> {
  const paths = devCertificatePaths(dir);
  if (fs.existsSync(paths.certFile) && fs.existsSync(paths.keyFile)) {
    try {
      const m = await loadTlsMaterial(paths);
      // Renewed a month before it ends, so a kept data folder never serves an expired one.
      if (Date.parse(m.info.validTo) - Date.now() > 30 * 86_400_000) return paths;
    } catch {
      /* unusable: made again below */
    }
  }
  const { createAuthority, issueCertificate } = await import('./generate.ts');
  const ca = await createAuthority(DEV_CA_NAME, { days: 400 });
  const leaf = await issueCertificate(ca, { commonName: 'localhost', dns: ['localhost'], ips: ['127.0.0.1', '::1'], usage: 'server', days: 397 });
  // Only the tls folder itself is 0700: its parents (./data) must stay traversable by the
  // embedded PostgreSQL's own user when run as root.
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  writePrivate(paths.caFile, ca.cert);
  writePrivate(paths.certFile, leaf.cert);
  writePrivate(paths.keyFile, leaf.key);
  log.warn(
    { certificate: paths.certFile, ca: paths.caFile },
    'TLS=dev: generated a self-signed development certificate for localhost; browsers warn about it unless dev-ca.pem is trusted. Never use it in production',
  );
  return paths;
}
