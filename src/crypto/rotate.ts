// `keys rotate`: re-wrap every data key under the keyring's current master key, in
// batches (one transaction each), while the service runs. Resumable: a row already under
// the current key is not picked again, so a stopped rotation simply runs again. The data
// keys themselves, and so every sealed value, stay as they are.
import type { Db } from '../store/db.ts';
import { dataKeysByMaster, dataKeysNotUnder, rewrapDataKey } from '../store/data-keys.ts';
import { wrapKey } from './envelope.ts';
import type { Keyring } from './keyring.ts';
import { unwrap } from './vault.ts';

export interface RotationProgress {
  readonly done: number;
  readonly total: number;
}

export interface RotationResult {
  readonly rewrapped: number;
  /** Data keys under each master key once done: only the current one when it succeeded. */
  readonly byMaster: Array<{ master_key_id: string; keys: number }>;
}

/** Passes over the table: a service that had not read the new keyring yet may add keys under the old one meanwhile. */
const MAX_PASSES = 5;

export async function rotateMasterKey(db: Db, keyring: Keyring, batch: number, progress: (p: RotationProgress) => void): Promise<RotationResult> {
  const current = keyring.current;
  const left = async () => (await dataKeysByMaster(db)).filter((r) => r.master_key_id !== current.id).reduce((n, r) => n + r.keys, 0);
  let total = await left();
  let done = 0;
  progress({ done, total });
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    let afterId = 0;
    for (;;) {
      const rows = await dataKeysNotUnder(db, current.id, afterId, batch);
      if (rows.length === 0) break;
      // Unwrapped before the transaction: a key the keyring cannot open stops the run here,
      // having re-wrapped what came before it.
      const rewrapped = rows.map((row) => ({ row, wrapped: wrapKey(current, row.id, row.purpose, unwrap(keyring, row)) }));
      const n = await db.transaction().execute(async (trx) => {
        let n = 0;
        for (const { row, wrapped } of rewrapped) if (await rewrapDataKey(trx, row, current.id, wrapped)) n++;
        return n;
      });
      done += n;
      afterId = rows.at(-1)!.id;
      total = Math.max(total, done);
      progress({ done, total });
    }
    const remaining = await left();
    if (remaining === 0) break;
    total = done + remaining;
  }
  return { rewrapped: done, byMaster: await dataKeysByMaster(db) };
}
