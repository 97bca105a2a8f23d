// The TLS settings: which certificate (files, or the development pair of TLS=dev), what
// follows from TLS being on (MLLP over TLS, HSTS, Secure cookies) unless said otherwise,
// and what production refuses.
import path from 'node:path';
import type { ConfigIssue } from './schema.ts';

export interface TlsConfig {
  /** off: plain HTTP, WebSocket and MLLP; files: TLS_CERT_FILE/TLS_KEY_FILE; dev: the generated pair. */
  readonly mode: 'off' | 'files' | 'dev';
  /** What is served (for dev: where the pair is made at start); null when off. */
  readonly files: { readonly certFile: string; readonly keyFile: string; readonly clientCaFile: string | null } | null;
  /** Where TLS=dev makes its pair (dev-cert.pem, dev-key.pem, dev-ca.pem). */
  readonly devDir: string;
  /** How often the files are checked for a renewed certificate. */
  readonly watchMs: number;
  /** Strict-Transport-Security max-age, seconds; 0: no header. */
  readonly hstsMaxAge: number;
  /** MLLP over TLS. */
  readonly mllp: boolean;
  /** Client certificates on the MLLP listener: required (mutual TLS), optional (checked when sent), off. */
  readonly mllpClientCert: 'required' | 'optional' | 'off';
  /** NODE_ENV=production: the development certificate is refused. */
  readonly production: boolean;
}

/** The names of the development pair, in devDir. */
export const DEV_FILES = { cert: 'dev-cert.pem', key: 'dev-key.pem', ca: 'dev-ca.pem' } as const;

export interface TlsVars {
  str(name: 'TLS' | 'TLS_CERT_FILE' | 'TLS_KEY_FILE' | 'TLS_CLIENT_CA_FILE' | 'MLLP_TLS' | 'MLLP_CLIENT_CERT' | 'NODE_ENV'): string | null;
  int(name: 'TLS_WATCH_MS' | 'HSTS_MAX_AGE'): number;
  /** Whether the variable was set at all (a default that depends on TLS yields to it). */
  set(name: 'HSTS_MAX_AGE'): boolean;
}

export function parseTls(v: TlsVars, dataDir: string, resolvePath: (p: string) => string, issues: ConfigIssue[]): TlsConfig {
  const production = v.str('NODE_ENV') === 'production';
  const certFile = v.str('TLS_CERT_FILE');
  const keyFile = v.str('TLS_KEY_FILE');
  const caRaw = v.str('TLS_CLIENT_CA_FILE');
  const clientCaFile = caRaw === null ? null : resolvePath(caRaw);
  const dev = v.str('TLS') === 'dev';
  const devDir = path.join(path.dirname(dataDir), 'tls');
  if ((certFile === null) !== (keyFile === null)) {
    issues.push({ variable: certFile === null ? 'TLS_CERT_FILE' : 'TLS_KEY_FILE', problem: 'TLS_CERT_FILE and TLS_KEY_FILE go together: set both, or neither' });
  }
  if (dev && certFile !== null) issues.push({ variable: 'TLS', problem: 'TLS=dev makes its own certificate: unset it, or unset TLS_CERT_FILE and TLS_KEY_FILE' });
  if (production && dev) issues.push({ variable: 'TLS', problem: 'TLS=dev is refused when NODE_ENV=production: configure TLS_CERT_FILE and TLS_KEY_FILE' });
  if (production && !dev && (certFile === null || keyFile === null)) {
    issues.push({ variable: 'TLS_CERT_FILE', problem: 'required when NODE_ENV=production, with TLS_KEY_FILE: the service does not run in production without TLS' });
  }
  let mode: TlsConfig['mode'] = 'off';
  let files: TlsConfig['files'] = null;
  if (dev) {
    mode = 'dev';
    files = { certFile: path.join(devDir, DEV_FILES.cert), keyFile: path.join(devDir, DEV_FILES.key), clientCaFile };
  } else if (certFile !== null && keyFile !== null) {
    mode = 'files';
    files = { certFile: resolvePath(certFile), keyFile: resolvePath(keyFile), clientCaFile };
  }
  const on = mode !== 'off';
  if (!on && clientCaFile !== null) issues.push({ variable: 'TLS_CLIENT_CA_FILE', problem: 'needs TLS on (TLS_CERT_FILE and TLS_KEY_FILE, or TLS=dev)' });
  const mllpRaw = v.str('MLLP_TLS');
  if (mllpRaw === 'on' && !on) issues.push({ variable: 'MLLP_TLS', problem: 'needs TLS on (TLS_CERT_FILE and TLS_KEY_FILE, or TLS=dev)' });
  const mllp = on && mllpRaw !== 'off';
  const clientRaw = v.str('MLLP_CLIENT_CERT') as TlsConfig['mllpClientCert'] | null;
  const mllpClientCert = clientRaw ?? (clientCaFile !== null && mllp ? 'required' : 'off');
  if (mllpClientCert !== 'off' && (clientCaFile === null || !mllp)) {
    issues.push({ variable: 'MLLP_CLIENT_CERT', problem: `${mllpClientCert} needs MLLP over TLS and TLS_CLIENT_CA_FILE, the CA that signs the senders' certificates` });
  }
  // The development certificate is for localhost: a year of HSTS there would pin every
  // other local project on that host name to https in the developer's browser.
  const hstsMaxAge = mode === 'dev' && !v.set('HSTS_MAX_AGE') ? 0 : v.int('HSTS_MAX_AGE');
  return { mode, files, devDir, watchMs: v.int('TLS_WATCH_MS'), hstsMaxAge, mllp, mllpClientCert, production };
}
