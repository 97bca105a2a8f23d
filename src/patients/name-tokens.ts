// The name index: keyed tokens of a patient's name words, written wherever a name is
// stored, and made at start for patients stored before (a migration cannot read the key).
import type { Db } from '../store/db.ts';
import { patientsToIndex, storeNameTokens } from '../store/patient-names.ts';
import type { Vault } from '../crypto/vault.ts';
import { FIELD } from './sealed.ts';
import { nameWords } from './search.ts';

type Executor = Parameters<typeof storeNameTokens>[0];

/**
 * The version of the word rules (nameWords) the stored tokens were made by. Raise it when
 * the rules change: every patient is then indexed again at the next start.
 */
export const NAME_INDEX_VERSION = 1;
const BATCH = 200;

/** The tokens a name is found by: one per word, under the vault's name-index key. */
export function nameTokens(vault: Vault, givenName: string, familyName: string): string[] {
  return nameWords(givenName, familyName).map((w) => vault.nameToken(w));
}

/** Store the tokens of a patient's names, in the caller's transaction (registration, a name change). */
export async function indexName(trx: Executor, vault: Vault, patientId: number, givenName: string, familyName: string): Promise<void> {
  await storeNameTokens(trx, patientId, nameTokens(vault, givenName, familyName), NAME_INDEX_VERSION);
}

/**
 * Index every sealed patient without tokens of this version, `batch` a transaction. Safe
 * beside another instance doing the same (locked rows are skipped). Answers how many.
 */
export async function indexUnindexedNames(db: Db, vault: Vault, batch = BATCH, progress?: (done: number) => void): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await db.transaction().execute(async (trx) => {
      const rows = await patientsToIndex(trx, NAME_INDEX_VERSION, batch);
      await vault.prepare(rows.flatMap((r) => [r.family_name_sealed, r.given_name_sealed]));
      for (const r of rows) {
        await indexName(trx, vault, r.id, vault.open(FIELD.givenName, r.given_name_sealed), vault.open(FIELD.familyName, r.family_name_sealed));
      }
      return rows.length;
    });
    total += n;
    if (n > 0) progress?.(total);
    if (n < batch) return total;
  }
}

/** At start: patients stored before the name index (or under older word rules) are indexed before the service answers. */
export async function indexNamesAtStart(db: Db, vault: Vault, log: { info(obj: object, msg: string): void }): Promise<number> {
  const patients = await indexUnindexedNames(db, vault);
  if (patients > 0) log.info({ patients }, 'indexed the names of patients stored before the name index');
  return patients;
}
