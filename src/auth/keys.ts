import { createHash, randomBytes } from 'node:crypto';

// Gateway keys are 256 random bits; the database keeps only their SHA-256.
const PREFIX = 'gk_';

export function generateGatewayKey(): string {
  return PREFIX + randomBytes(32).toString('base64url');
}

export function hashGatewayKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** The first characters, safe to show in lists so an admin can tell keys apart. */
export function keyPrefix(key: string): string {
  return key.slice(0, PREFIX.length + 6);
}

/** The key from an `Authorization: Bearer <key>` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer[ \t]+([A-Za-z0-9_\-.~+/]+=*)[ \t]*$/i.exec(header);
  return m ? m[1]! : null;
}
