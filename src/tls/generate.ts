// Certificates made here: the development pair of TLS=dev, and the CAs, server and client
// certificates the tests make at test time. X.509 is encoded by @peculiar/x509 over Node's
// WebCrypto (ECDSA P-256), which needs a Reflect metadata polyfill loaded before it.
// Imported lazily (await import) so the service loads neither unless it generates.
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

export interface Issued {
  /** PEM of the certificate. */
  readonly cert: string;
  /** PEM (PKCS#8) of its private key. */
  readonly key: string;
  /** Upper-case hex, as node:crypto's X509Certificate.serialNumber reads it. */
  readonly serial: string;
}

export interface Authority extends Issued {
  readonly name: string;
  readonly keys: CryptoKeyPair;
}

type CryptoKeyPair = { publicKey: webcrypto.CryptoKey; privateKey: webcrypto.CryptoKey };

function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f; // positive
  bytes[0] = bytes[0] | 0x10; // no leading zero byte, so the hex reads back the same
  return bytes.toString('hex').toUpperCase();
}

async function keyPair(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function pemKey(key: webcrypto.CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

function validity(days: number, now: number): { notBefore: Date; notAfter: Date } {
  // An hour back, so a clock a little behind the issuer's still accepts it.
  return { notBefore: new Date(now - 3_600_000), notAfter: new Date(now + days * DAY_MS) };
}

/** A self-signed certificate authority (path length 0: it signs end-entity certificates only). */
export async function createAuthority(commonName: string, opts: { days?: number; now?: number } = {}): Promise<Authority> {
  const keys = await keyPair();
  const name = `CN=${commonName}`;
  const serial = serialNumber();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial,
    name,
    ...validity(opts.days ?? 3650, opts.now ?? Date.now()),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem'), key: await pemKey(keys.privateKey), serial, name, keys };
}

export interface LeafOptions {
  readonly commonName: string;
  /** Server certificates: the names and addresses clients reach it by. */
  readonly dns?: readonly string[];
  readonly ips?: readonly string[];
  readonly usage: 'server' | 'client';
  readonly days?: number;
  readonly now?: number;
}

/** An end-entity certificate for a server or a client, signed by `ca`. */
export async function issueCertificate(ca: Authority, opts: LeafOptions): Promise<Issued> {
  const keys = await keyPair();
  const serial = serialNumber();
  const names = [
    ...(opts.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(opts.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: `CN=${opts.commonName}`,
    issuer: ca.name,
    ...validity(opts.days ?? 825, opts.now ?? Date.now()),
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([opts.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
      ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : []),
      await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem'), key: await pemKey(keys.privateKey), serial };
}
