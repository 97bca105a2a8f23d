// The service's side of encryption at rest: seals and opens identifiers under data keys
// kept in the database wrapped by the configured master keys, and computes blind indexes.
// Unwrapped data keys are cached in memory (bounded); the master keys never leave it.
import fs from 'node:fs';
import type { Db } from '../store/db.ts';
import { activeDataKey, dataKeysByIds, insertDataKey, type DataKeyPurpose, type StoredDataKey } from '../store/data-keys.ts';
import { blindIndex, decryptText, deriveKey, encryptText, newDataKey, sealedKeyId, unwrapKey, wrapKey, type MasterKey } from './envelope.ts';
import { readKeyring, type Keyring } from './keyring.ts';

type Executor = Pick<Db, 'executeQuery' | 'getExecutor'>;

/** Unwrapped data keys kept in memory at most (32 bytes each, a patient's each). */
const CACHE_MAX = 50_000;

export class VaultError extends Error {}

export class Vault {
  private readonly keys = new Map<number, Buffer>();
  private keyringMtime = 0;
  /** The name-word index key, derived from the index key: name tokens never share the NHS number's key. */
  private readonly nameIndex: Buffer;

  private constructor(
    private readonly db: Db,
    private keyring: Keyring,
    private readonly general: { readonly id: number; readonly key: Buffer },
    private readonly index: Buffer,
  ) {
    this.nameIndex = deriveKey(index, 'patients.name-words');
  }

  /** Open the vault: the shared data keys (created under the current master key when missing). */
  static async open(db: Db, keyring: Keyring): Promise<Vault> {
    const shared = async (purpose: 'general' | 'index') => {
      const row = await activeDataKey(db, purpose, (trx) => insertDataKey(trx, purpose, keyring.current.id, (id) => wrapKey(keyring.current, id, purpose, newDataKey())));
      return { id: row.id, key: unwrap(keyring, row) };
    };
    const general = await shared('general');
    const index = await shared('index');
    const vault = new Vault(db, keyring, general, index.key);
    vault.keyringMtime = mtime(keyring.file);
    vault.remember(general.id, general.key);
    return vault;
  }

  /** The master key new data keys are wrapped under: the keyring file is read again when it changed. */
  private current(): MasterKey {
    this.refreshKeyring(false);
    return this.keyring.current;
  }

  private refreshKeyring(force: boolean): void {
    const m = mtime(this.keyring.file);
    if (!force && m === this.keyringMtime) return;
    this.keyring = readKeyring(this.keyring.file);
    this.keyringMtime = m;
  }

  /** A new data key for one patient, stored (wrapped) in the caller's transaction. */
  async newPatientKey(trx: Executor): Promise<{ readonly id: number; readonly key: Buffer }> {
    const master = this.current();
    const key = newDataKey();
    const id = await insertDataKey(trx, 'patient', master.id, (id) => wrapKey(master, id, 'patient', key));
    this.remember(id, key);
    return { id, key };
  }

  seal(key: { readonly id: number; readonly key: Buffer }, field: string, plaintext: string): string {
    return encryptText(key.id, key.key, field, plaintext);
  }

  /** Free text that belongs to no one patient (alert comments), under the general key. */
  sealGeneral(field: string, plaintext: string): string {
    return encryptText(this.general.id, this.general.key, field, plaintext);
  }

  /** The blind index of a value (e.g. a normalised NHS number) for `field`. */
  blindIndex(field: string, value: string): string {
    return blindIndex(this.index, field, value);
  }

  /** The blind-index token of one normalised name word (src/patients/search.ts nameWords). */
  nameToken(word: string): string {
    return blindIndex(this.nameIndex, 'patients.name_word', word);
  }

  /** Make the data keys these sealed values name ready to open (one query for all missing). */
  async prepare(values: Iterable<string | null | undefined>): Promise<void> {
    const missing = new Set<number>();
    for (const v of values) {
      if (v == null) continue;
      const id = sealedKeyId(v);
      if (id !== null && !this.keys.has(id)) missing.add(id);
    }
    if (missing.size === 0) return;
    const rows = await dataKeysByIds(this.db, [...missing]);
    for (const row of rows) {
      // A master key this process has not read yet: `keys new` appended it since.
      if (!this.keyring.byId.has(row.master_key_id)) this.refreshKeyring(true);
      this.remember(row.id, unwrap(this.keyring, row));
    }
  }

  /** Open a sealed value whose key `prepare` has loaded. */
  open(field: string, value: string): string {
    const id = sealedKeyId(value);
    const key = id === null ? undefined : this.keys.get(id);
    if (id === null) throw new VaultError(`${field}: not a sealed value`);
    if (!key) throw new VaultError(`${field}: data key ${id} not loaded (prepare first) or missing`);
    return decryptText(key, field, value);
  }

  /** prepare + open, for one value. */
  async openOne(field: string, value: string): Promise<string> {
    await this.prepare([value]);
    return this.open(field, value);
  }

  private remember(id: number, key: Buffer): void {
    this.keys.delete(id);
    this.keys.set(id, key);
    if (this.keys.size > CACHE_MAX) {
      for (const old of this.keys.keys()) {
        if (this.keys.size <= CACHE_MAX) break;
        if (old !== this.general.id) this.keys.delete(old);
      }
    }
  }
}

function mtime(file: string): number {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

export function unwrap(keyring: Keyring, row: StoredDataKey): Buffer {
  const master = keyring.byId.get(row.master_key_id);
  if (!master) throw new VaultError(`data key ${row.id} is wrapped under master key "${row.master_key_id}", which ${keyring.file} does not hold`);
  return unwrapKey(master, row.id, row.purpose satisfies DataKeyPurpose, row.wrapped);
}
