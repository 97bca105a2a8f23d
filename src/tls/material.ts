// The certificate, key and client CA as read from their files, checked before use: a pair
// that does not match, a file that is not PEM or cannot be read is refused with a sentence
// saying which, so neither a start nor a reload serves a broken context.
import fs from 'node:fs/promises';
import tls from 'node:tls';
import { X509Certificate, createPrivateKey } from 'node:crypto';

export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  /** CA whose certificates MLLP clients may present; null: none. */
  readonly clientCaFile: string | null;
}

/** What the log says of a certificate: nothing of it is secret. */
export interface CertificateInfo {
  readonly subject: string;
  readonly issuer: string;
  readonly serial: string;
  readonly fingerprint256: string;
  readonly validTo: string;
}

export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly clientCa: Buffer | null;
  readonly info: CertificateInfo;
}

export class TlsMaterialError extends Error {
  override name = 'TlsMaterialError';
}

async function read(file: string, what: string): Promise<Buffer> {
  try {
    return await fs.readFile(file);
  } catch (err) {
    throw new TlsMaterialError(`cannot read the ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function certificate(pem: Buffer, what: string, file: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new TlsMaterialError(`the ${what} ${file} is not a PEM certificate`);
  }
}

/** Read and check the files; throws TlsMaterialError naming the file at fault. */
export async function loadTlsMaterial(files: TlsFiles): Promise<TlsMaterial> {
  const [cert, key, clientCa] = await Promise.all([
    read(files.certFile, 'certificate'),
    read(files.keyFile, 'private key'),
    files.clientCaFile === null ? null : read(files.clientCaFile, 'client CA'),
  ]);
  const leaf = certificate(cert, 'certificate', files.certFile);
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new TlsMaterialError(`the private key ${files.keyFile} is not a PEM private key (or is encrypted)`);
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new TlsMaterialError(`the private key ${files.keyFile} does not belong to the certificate ${files.certFile}`);
  }
  if (clientCa !== null) certificate(clientCa, 'client CA', files.clientCaFile as string);
  const material: TlsMaterial = {
    cert,
    key,
    clientCa,
    info: { subject: leaf.subject, issuer: leaf.issuer, serial: leaf.serialNumber, fingerprint256: leaf.fingerprint256, validTo: leaf.validTo },
  };
  try {
    // What OpenSSL itself makes of it (a chain in the wrong order, an unsupported key).
    tls.createSecureContext(secureContextOptions(material));
  } catch (err) {
    throw new TlsMaterialError(`OpenSSL refuses the certificate and key: ${(err as Error).message}`);
  }
  return material;
}

/** The options of a secure context (a listener's, or a reload's setSecureContext). */
export function secureContextOptions(m: TlsMaterial): tls.SecureContextOptions {
  return { cert: m.cert, key: m.key, ...(m.clientCa ? { ca: m.clientCa } : {}), minVersion: 'TLSv1.2' };
}
