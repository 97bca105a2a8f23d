// The master keys, read from the file MASTER_KEY_FILE names. One key a line, `<id> <base64
// of 32 bytes>`, `#` starting a comment; the last key is the current one (new data keys are
// wrapped under it), the earlier ones only unwrap what `keys rotate` has not re-wrapped yet.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { KEY_BYTES, type MasterKey } from './envelope.ts';

export class KeyringError extends Error {}

export interface Keyring {
  /** New data keys are wrapped under this one: the file's last key. */
  readonly current: MasterKey;
  readonly byId: ReadonlyMap<string, MasterKey>;
  readonly file: string;
}

const ID = /^[A-Za-z0-9_-]{1,32}$/;

/** Parse a keyring file's text; throws KeyringError naming the line at fault. */
export function parseKeyring(text: string, file: string): Keyring {
  const byId = new Map<string, MasterKey>();
  let current: MasterKey | null = null;
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const [id, b64, extra] = line.split(/\s+/);
    const where = `${file}, line ${i + 1}`;
    if (!id || !ID.test(id) || !b64 || extra !== undefined) throw new KeyringError(`${where}: expected "<id> <base64 key>", the id of 1-32 letters, digits, - or _`);
    const key = Buffer.from(b64, 'base64');
    if (key.length !== KEY_BYTES || key.toString('base64') !== b64) throw new KeyringError(`${where}: the key must be ${KEY_BYTES} bytes in base64 (e.g. from \`npm run admin -- keys new\`)`);
    if (byId.has(id)) throw new KeyringError(`${where}: key id "${id}" appears twice`);
    current = { id, key };
    byId.set(id, current);
  }
  if (!current) throw new KeyringError(`${file}: no master key in the file`);
  return { current, byId, file };
}

/** A keyring line for a new random key, its id from the date and a random suffix. */
export function newKeyLine(now: Date): string {
  const id = `k${now.toISOString().slice(0, 10).replaceAll('-', '')}-${crypto.randomBytes(3).toString('hex')}`;
  return `${id} ${crypto.randomBytes(KEY_BYTES).toString('base64')}`;
}

export function readKeyring(file: string): Keyring {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new KeyringError(`cannot read the master key file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseKeyring(text, file);
}

/** Whether others than the owner may read the file (a warning, not a refusal: some secret mounts are 0644 in a private directory). */
export function readableByOthers(file: string): boolean {
  try {
    return (fs.statSync(file).mode & 0o077) !== 0;
  } catch {
    return false;
  }
}

/**
 * The development keyring: created with one new key (mode 0600) when the file is missing.
 * Answers whether it was created.
 */
export function ensureDevelopmentKeyring(file: string, now: Date): boolean {
  if (fs.existsSync(file)) return false;
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const header = '# Development master key, generated at first start. Not for patients\' data:\n# in production set MASTER_KEY_FILE to a key kept outside the database host\'s backups.\n';
  try {
    fs.writeFileSync(file, `${header}${newKeyLine(now)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false; // another process made it first
    throw err;
  }
  return true;
}

/** Append a new current key to the file (the old ones stay until `keys rotate` is done). */
export function appendKey(file: string, now: Date): string {
  const line = newKeyLine(now);
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  fs.writeFileSync(file, `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${line}\n`, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  return line.split(' ')[0]!;
}
