// At start: seal what was stored in plain before encryption at rest (patients'
// identifiers, alert comments), in batches, each batch one transaction. Idempotent: a
// sealed row is not picked again, and a second instance skips the rows the first holds.
import type { Db } from '../store/db.ts';
import { commentsToSeal, plainPatients, storeSealedComments, storeSealedPatient } from '../store/sealing.ts';
import { COMMENT_FIELD } from '../alerts/comments.ts';
import { sealIdentity } from '../patients/sealed.ts';
import { indexName } from '../patients/name-tokens.ts';
import type { Vault } from './vault.ts';

const BATCH = 200;

/** Run `batch` (one transaction, answering how many rows it took) until one comes back short. */
async function inBatches(batch: () => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await batch();
    total += n;
    if (n < BATCH) return total;
  }
}

export async function sealPlaintext(db: Db, vault: Vault, log: { info(obj: object, msg: string): void }): Promise<{ patients: number; comments: number }> {
  const patients = await inBatches(() => db.transaction().execute(async (trx) => {
    const rows = await plainPatients(trx, BATCH);
    for (const r of rows) {
      const key = await vault.newPatientKey(trx);
      await storeSealedPatient(trx, r.id, sealIdentity(vault, key, { familyName: r.family_name, givenName: r.given_name, nhsNumber: r.nhs_number, dateOfBirth: r.date_of_birth }));
      await indexName(trx, vault, r.id, r.given_name, r.family_name);
    }
    return rows.length;
  }));
  const comments = await inBatches(() => db.transaction().execute(async (trx) => {
    const rows = await commentsToSeal(trx, BATCH);
    await storeSealedComments(trx, rows.map((r) => ({ cursor: r.cursor, sealed: vault.sealGeneral(COMMENT_FIELD, r.comment ?? '') })));
    return rows.length;
  }));
  if (patients + comments > 0) log.info({ patients, comments }, 'sealed identifiers and comments stored before encryption at rest');
  return { patients, comments };
}
