import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import crypto from 'node:crypto';
import { blindIndex, decryptText, DecryptError, encryptText, newDataKey, sealedKeyId, unwrapKey, wrapKey } from '../../../src/crypto/envelope.ts';

const master = { id: 'k1', key: crypto.randomBytes(32) };

describe('sealed values', () => {
  it('open to what was sealed, for any text', () => {
    const key = newDataKey();
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (text) => {
      const sealed = encryptText(7, key, 'patients.family_name', text);
      expect(sealedKeyId(sealed)).toBe(7);
      expect(decryptText(key, 'patients.family_name', sealed)).toBe(text);
    }));
  });

  it('never show the plaintext, and differ each time (random IV)', () => {
    const key = newDataKey();
    const a = encryptText(1, key, 'f', 'Okafor');
    const b = encryptText(1, key, 'f', 'Okafor');
    expect(a).not.toBe(b);
    expect(a).not.toContain('Okafor');
    expect(Buffer.from(a.split('.')[2]!, 'base64url').toString('latin1')).not.toContain('Okafor');
  });

  it('refuse another key, another field, and any altered byte', () => {
    const key = newDataKey();
    const sealed = encryptText(1, key, 'patients.family_name', 'Okafor');
    expect(() => decryptText(newDataKey(), 'patients.family_name', sealed)).toThrow(DecryptError);
    // A name moved into the birth-date column does not open there.
    expect(() => decryptText(key, 'patients.date_of_birth', sealed)).toThrow(DecryptError);
    const body = Buffer.from(sealed.split('.')[2]!, 'base64url');
    for (let i = 0; i < body.length; i++) {
      const altered = Buffer.from(body);
      altered[i]! ^= 1;
      expect(() => decryptText(key, 'patients.family_name', `v1.1.${altered.toString('base64url')}`)).toThrow(DecryptError);
    }
    expect(() => decryptText(key, 'f', 'Okafor')).toThrow(DecryptError);
    expect(() => decryptText(key, 'f', 'v1.1.AAAA')).toThrow(DecryptError);
  });

  it('tell a sealed value from plain text', () => {
    expect(sealedKeyId('v1.12.abc_-')).toBe(12);
    for (const plain of ['Okafor', '1948-03-12', 'v1.x.abc', 'v2.1.abc', 'v1.1.', 'v1.1.a b']) expect(sealedKeyId(plain)).toBeNull();
  });
});

describe('wrapped data keys', () => {
  it('unwrap under their master key, for their row and purpose only', () => {
    const key = newDataKey();
    const wrapped = wrapKey(master, 5, 'patient', key);
    expect(unwrapKey(master, 5, 'patient', wrapped).equals(key)).toBe(true);
    expect(() => unwrapKey(master, 6, 'patient', wrapped)).toThrow(DecryptError);
    expect(() => unwrapKey(master, 5, 'general', wrapped)).toThrow(DecryptError);
    expect(() => unwrapKey({ id: 'k2', key: crypto.randomBytes(32) }, 5, 'patient', wrapped)).toThrow(DecryptError);
  });
});

describe('blind index', () => {
  it('is the same for the same value and key, and says nothing without the key', () => {
    const k = newDataKey();
    expect(blindIndex(k, 'nhs', '9434765919')).toBe(blindIndex(k, 'nhs', '9434765919'));
    expect(blindIndex(k, 'nhs', '9434765919')).not.toBe(blindIndex(k, 'nhs', '9434765870'));
    expect(blindIndex(newDataKey(), 'nhs', '9434765919')).not.toBe(blindIndex(k, 'nhs', '9434765919'));
    expect(blindIndex(k, 'other', '9434765919')).not.toBe(blindIndex(k, 'nhs', '9434765919'));
    expect(blindIndex(k, 'nhs', '9434765919')).toMatch(/^[0-9a-f]{64}$/);
  });
});
