import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { appendKey, ensureDevelopmentKeyring, KeyringError, parseKeyring, readKeyring } from '../../../src/crypto/keyring.ts';
import { loadConfig, ConfigError } from '../../../src/config/index.ts';

const b64 = () => crypto.randomBytes(32).toString('base64');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'keyring-'));

describe('the keyring file', () => {
  it('takes the last key as current and keeps the earlier ones for unwrapping', () => {
    const [a, b] = [b64(), b64()];
    const ring = parseKeyring(`# comment\nold ${a}\n\nnew ${b}  # the current one\n`, 'f');
    expect(ring.current.id).toBe('new');
    expect([...ring.byId.keys()]).toEqual(['old', 'new']);
    expect(ring.byId.get('old')!.key.toString('base64')).toBe(a);
  });

  it('refuses malformed lines, naming the line and never echoing a key', () => {
    const key = b64();
    const bad = [`k1 ${key.slice(0, 20)}`, `k1 ${key} extra`, `bad id! ${key}`, `${key}`, `k1 ${key}\nk1 ${b64()}`, '# nothing\n'];
    for (const text of bad) {
      let err: unknown;
      try {
        parseKeyring(text, 'keys.txt');
      } catch (e) {
        err = e;
      }
      expect(err, text).toBeInstanceOf(KeyringError);
      expect((err as Error).message).toMatch(/keys\.txt/);
      expect((err as Error).message).not.toContain(key.slice(0, 20));
    }
  });

  it('is made once in development, 0600, and a new key appended becomes current', () => {
    const file = path.join(tmp(), 'sub', 'master.keys');
    expect(ensureDevelopmentKeyring(file, new Date())).toBe(true);
    expect(ensureDevelopmentKeyring(file, new Date())).toBe(false);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const first = readKeyring(file).current.id;
    const id = appendKey(file, new Date());
    const ring = readKeyring(file);
    expect(ring.current.id).toBe(id);
    expect(ring.byId.has(first)).toBe(true);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('says which file it cannot read', () => {
    expect(() => readKeyring('/nonexistent/master.keys')).toThrow(/\/nonexistent\/master\.keys.*ENOENT/);
  });
});

describe('MASTER_KEY_FILE', () => {
  it('defaults to ./data/master.keys outside production', () => {
    const c = loadConfig({}, '/srv/app');
    expect(c.keys).toEqual({ masterKeyFile: '/srv/app/data/master.keys', development: true });
  });

  it('is required with NODE_ENV=production', () => {
    let err: unknown;
    try {
      loadConfig({ NODE_ENV: 'production', TLS_CERT_FILE: '/x/cert.pem', TLS_KEY_FILE: '/x/key.pem' }, '/srv/app');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(/MASTER_KEY_FILE: required when NODE_ENV=production/);
  });
});
