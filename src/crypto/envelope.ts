// Envelope encryption of identifiers: values are sealed with AES-256-GCM under data keys,
// and data keys are stored wrapped (AES-256-GCM too) under a master key that never reaches
// the database. Pure: keys and plaintexts come in, strings go out; no IO, no clock.
import crypto from 'node:crypto';

/** A master key as configured: its id (stored beside what it wraps) and 32 bytes. */
export interface MasterKey {
  readonly id: string;
  readonly key: Buffer;
}

export const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** The prefix of a sealed value: the format's version, so that a later one can be told apart. */
const VERSION = 'v1';

export class DecryptError extends Error {}

function seal(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  const iv = crypto.randomBytes(IV_BYTES);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

function open(key: Buffer, sealed: Buffer, aad: string): Buffer {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new DecryptError('sealed value too short');
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new DecryptError('sealed value failed authentication (wrong key, or altered)');
  }
}

/** A fresh random data key. */
export function newDataKey(): Buffer {
  return crypto.randomBytes(KEY_BYTES);
}

/**
 * A data key wrapped under the master key, base64. The data key's id and purpose are bound
 * in (authenticated), so a wrapped key copied onto another row does not unwrap.
 */
export function wrapKey(master: MasterKey, dataKeyId: number, purpose: string, dataKey: Buffer): string {
  return seal(master.key, dataKey, `data-key:${dataKeyId}:${purpose}`).toString('base64');
}

export function unwrapKey(master: MasterKey, dataKeyId: number, purpose: string, wrapped: string): Buffer {
  const key = open(master.key, Buffer.from(wrapped, 'base64'), `data-key:${dataKeyId}:${purpose}`);
  if (key.length !== KEY_BYTES) throw new DecryptError('unwrapped data key has the wrong length');
  return key;
}

/**
 * A text value sealed under a data key: `v1.<data key id>.<base64url(iv | ciphertext | tag)>`.
 * `field` names what the value is (e.g. `patients.family_name`) and is authenticated, so a
 * sealed name moved into the birth-date column does not open.
 */
export function encryptText(dataKeyId: number, dataKey: Buffer, field: string, plaintext: string): string {
  return `${VERSION}.${dataKeyId}.${seal(dataKey, Buffer.from(plaintext, 'utf8'), field).toString('base64url')}`;
}

/** The data key id a sealed value names, or null when the text is not a sealed value. */
export function sealedKeyId(value: string): number | null {
  const m = /^v1\.(\d{1,10})\.[A-Za-z0-9_-]+$/.exec(value);
  return m ? Number(m[1]) : null;
}

export function decryptText(dataKey: Buffer, field: string, value: string): string {
  const dot = value.indexOf('.', VERSION.length + 1);
  if (sealedKeyId(value) === null || dot < 0) throw new DecryptError('not a sealed value');
  return open(dataKey, Buffer.from(value.slice(dot + 1), 'base64url'), field).toString('utf8');
}

/**
 * A keyed blind index (HMAC-SHA256, hex): equal inputs give equal indexes, so a unique
 * constraint and a lookup work without decrypting; without the key an index says nothing.
 */
export function blindIndex(indexKey: Buffer, field: string, value: string): string {
  return crypto.createHmac('sha256', indexKey).update(`${field}\u0000${value}`, 'utf8').digest('hex');
}

/**
 * A key of its own for one use, derived from `key` (HKDF-SHA256): an index made under it
 * cannot be matched against one made under `key` or under another use's key.
 */
export function deriveKey(key: Buffer, use: string): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', key, Buffer.alloc(0), `cardiotel:${use}`, KEY_BYTES));
}
