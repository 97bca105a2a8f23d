import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { createAuthority, issueCertificate, type Authority, type Issued } from '../../src/tls/generate.ts';

// Certificates made at test time, in a temporary folder: a CA, the service's certificate
// signed by it, and client certificates from it or from another CA. Nothing is committed.

export interface TestPki {
  readonly dir: string;
  readonly ca: Authority;
  readonly server: Issued;
  /** The env that serves `server` (and trusts `clientCa` for MLLP, when made). */
  readonly env: Record<string, string>;
  readonly files: { cert: string; key: string; ca: string; clientCa: string };
  /** Write a newly issued server certificate over the served files (the renewal). */
  renew(): Promise<Issued>;
  /** A client certificate signed by the client CA (or by `other`). */
  client(name: string, other?: Authority): Promise<Issued>;
  readonly clientCa: Authority;
  remove(): void;
}

export async function createTestPki(): Promise<TestPki> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'telemetry-tls-'));
  const ca = await createAuthority('telemetry test CA');
  const clientCa = await createAuthority('telemetry test interface-engine CA');
  const issueServer = () => issueCertificate(ca, { commonName: 'localhost', dns: ['localhost'], ips: ['127.0.0.1', '::1'], usage: 'server' });
  const server = await issueServer();
  const files = { cert: path.join(dir, 'cert.pem'), key: path.join(dir, 'key.pem'), ca: path.join(dir, 'ca.pem'), clientCa: path.join(dir, 'client-ca.pem') };
  const write = (file: string, text: string) => fs.writeFileSync(file, text, { mode: 0o600 });
  write(files.cert, server.cert);
  write(files.key, server.key);
  write(files.ca, ca.cert);
  write(files.clientCa, clientCa.cert);
  return {
    dir,
    ca,
    server,
    clientCa,
    files,
    env: { TLS_CERT_FILE: files.cert, TLS_KEY_FILE: files.key },
    async renew() {
      const next = await issueServer();
      // Key first, then the certificate: the reload waits for both to be quiet.
      write(files.key, next.key);
      write(files.cert, next.cert);
      return next;
    },
    client: (name, other) => issueCertificate(other ?? clientCa, { commonName: name, usage: 'client' }),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** The serial of a PEM certificate as a peer certificate reports it. */
export function serialOf(pem: string): string {
  return new X509Certificate(pem).serialNumber;
}
