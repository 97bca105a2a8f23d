import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Db } from '../../src/store/db.ts';
import { Vault } from '../../src/crypto/vault.ts';
import { readKeyring } from '../../src/crypto/keyring.ts';

// Every test process, and every service or command a test starts, seals identifiers under
// one test master key: a test's own calls (createPatient with testVault) and the service it
// talks to must open each other's data keys. Set as MASTER_KEY_FILE for child processes
// (spawned with process.env) and passed to in-process services by helpers/service.ts.

const KEY = crypto.createHash('sha256').update('test master key, never for patients').digest('base64');
export const TEST_KEY_FILE = path.join(os.tmpdir(), `telemetry-test-master-${process.getuid?.() ?? 0}.keys`);

function ensure(): void {
  const text = `test ${KEY}\n`;
  try {
    if (fs.readFileSync(TEST_KEY_FILE, 'utf8') === text) return;
  } catch {
    /* not there yet */
  }
  const tmp = `${TEST_KEY_FILE}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`;
  fs.writeFileSync(tmp, text, { mode: 0o600 });
  fs.renameSync(tmp, TEST_KEY_FILE); // atomic: concurrent writers write the same text
}
ensure();
process.env.MASTER_KEY_FILE ??= TEST_KEY_FILE;

const vaults = new WeakMap<Db, Promise<Vault>>();

/** The vault over a test database, under the test master key (one per database). */
export function testVault(db: Db): Promise<Vault> {
  let v = vaults.get(db);
  if (!v) {
    v = Vault.open(db, readKeyring(TEST_KEY_FILE));
    vaults.set(db, v);
  }
  return v;
}
