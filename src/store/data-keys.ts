import { sql } from 'kysely';
import type { Db } from './db.ts';
import type { DataKeysTable } from './schema.ts';

// SQL of the data keys (wrapped under master keys) and of sealing: what src/crypto needs
// from the database, nothing of the keys' plaintext.

type Executor = Pick<Db, 'executeQuery' | 'getExecutor'>;
export type DataKeyPurpose = DataKeysTable['purpose'];

export interface StoredDataKey {
  readonly id: number;
  readonly purpose: DataKeyPurpose;
  readonly master_key_id: string;
  readonly wrapped: string;
}

/** An advisory lock key of its own, so two processes never create the same active key. */
const ACTIVE_KEY_LOCK = 7226640;

export async function dataKeysByIds(db: Executor, ids: readonly number[]): Promise<StoredDataKey[]> {
  if (ids.length === 0) return [];
  const res = await sql<StoredDataKey>`
    SELECT id, purpose, master_key_id, wrapped FROM data_keys WHERE id = ANY(${ids}::int4[])`.execute(db);
  return res.rows;
}

/**
 * Insert a data key. Its id comes first from the sequence because the wrapping binds it:
 * `wrap(id)` seals the key for that row only.
 */
export async function insertDataKey(db: Executor, purpose: DataKeyPurpose, masterKeyId: string, wrap: (id: number) => string): Promise<number> {
  const { rows } = await sql<{ id: number }>`SELECT nextval(pg_get_serial_sequence('data_keys', 'id'))::int AS id`.execute(db);
  const id = rows[0]!.id;
  await sql`INSERT INTO data_keys (id, purpose, master_key_id, wrapped) VALUES (${id}, ${purpose}, ${masterKeyId}, ${wrap(id)})`.execute(db);
  return id;
}

/** The active key of a shared purpose, created by `create` under a lock when there is none. */
export async function activeDataKey(db: Db, purpose: 'general' | 'index', create: (trx: Executor) => Promise<number>): Promise<StoredDataKey> {
  return db.transaction().execute(async (trx) => {
    const find = async () => (await sql<StoredDataKey>`
      SELECT id, purpose, master_key_id, wrapped FROM data_keys
      WHERE purpose = ${purpose} AND retired_at IS NULL`.execute(trx)).rows[0];
    const found = await find();
    if (found) return found;
    await sql`SELECT pg_advisory_xact_lock(${ACTIVE_KEY_LOCK})`.execute(trx);
    const again = await find();
    if (again) return again;
    await create(trx);
    return (await find())!;
  });
}

/** How many data keys each master key wraps now. */
export async function dataKeysByMaster(db: Executor): Promise<Array<{ master_key_id: string; keys: number }>> {
  const res = await sql<{ master_key_id: string; keys: number }>`
    SELECT master_key_id, count(*)::int AS keys FROM data_keys GROUP BY master_key_id ORDER BY master_key_id`.execute(db);
  return res.rows;
}

/** A batch of data keys wrapped under another master key than `masterKeyId`, by id after `afterId`. */
export async function dataKeysNotUnder(db: Executor, masterKeyId: string, afterId: number, limit: number): Promise<StoredDataKey[]> {
  const res = await sql<StoredDataKey>`
    SELECT id, purpose, master_key_id, wrapped FROM data_keys
    WHERE master_key_id <> ${masterKeyId} AND id > ${afterId} ORDER BY id LIMIT ${limit}`.execute(db);
  return res.rows;
}

/**
 * Store a data key re-wrapped under another master key. Only if the row still is what was
 * read (a concurrent rotation may have moved it): answers whether it was written.
 */
export async function rewrapDataKey(db: Executor, key: StoredDataKey, masterKeyId: string, wrapped: string): Promise<boolean> {
  const res = await sql`
    UPDATE data_keys SET master_key_id = ${masterKeyId}, wrapped = ${wrapped}, rewrapped_at = now()
    WHERE id = ${key.id} AND master_key_id = ${key.master_key_id} AND wrapped = ${key.wrapped}`.execute(db);
  return Number(res.numAffectedRows ?? 0) === 1;
}
