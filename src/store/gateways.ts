import { sql } from 'kysely';
import type { Db } from './db.ts';

// Gateways and their keys: create, list, look up by key hash, revoke.

export async function insertGateway(db: Db, gw: { siteId: number; name: string; keyHash: Buffer; keyPrefix: string }): Promise<number> {
  const row = await db
    .insertInto('gateways')
    .values({ site_id: gw.siteId, name: gw.name, key_hash: gw.keyHash, key_prefix: gw.keyPrefix })
    .returning(['id'])
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function listGateways(db: Db) {
  return db
    .selectFrom('gateways')
    .innerJoin('sites', 'sites.id', 'gateways.site_id')
    .select(['gateways.id', 'sites.code as site', 'gateways.name', 'gateways.key_prefix', 'gateways.created_at', 'gateways.revoked_at'])
    .orderBy('gateways.id')
    .execute();
}

export async function gatewayById(db: Db, id: number) {
  return db.selectFrom('gateways').select(['id', 'revoked_at']).where('id', '=', id).executeTakeFirst();
}

/** The unrevoked gateway holding this key hash. */
export async function activeGatewayByKeyHash(db: Db, hash: Buffer) {
  return db
    .selectFrom('gateways')
    .select(['id', 'site_id'])
    .where('key_hash', '=', hash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
}

/**
 * Ids of the given gateways that are now revoked. The ids go as one array parameter: a list of
 * tens of thousands of parameters (one a connected gateway) costs the event loop to build and
 * fails past PostgreSQL's 65,535.
 */
export async function revokedAmong(db: Db, ids: readonly number[]): Promise<number[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('gateways')
    .select('id')
    .where(sql<boolean>`id = ANY(${ids}::int[])`)
    .where('revoked_at', 'is not', null)
    .execute();
  return rows.map((r) => r.id);
}

export const REVOCATION_CHANNEL = 'gateway_revoked';

/** Revoke a key and tell every running service process at once. */
export async function revokeGateway(db: Db, gatewayId: number): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const res = await trx
      .updateTable('gateways')
      .set({ revoked_at: sql`now()` })
      .where('id', '=', gatewayId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    // Delivered on commit, so listeners never see a revocation that rolled back.
    await sql`SELECT pg_notify(${REVOCATION_CHANNEL}, ${String(gatewayId)})`.execute(trx);
    return Number(res.numUpdatedRows) > 0;
  });
}
