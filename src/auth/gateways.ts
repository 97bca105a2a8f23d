import { sql } from 'kysely';
import type { Db } from '../store/db.ts';
import { bearerToken, hashGatewayKey } from './keys.ts';

export interface GatewayIdentity {
  readonly gatewayId: number;
  readonly siteId: number;
}

/**
 * Resolves a bearer key to its gateway. A short cache spares the database one
 * query per HTTP batch; revocation clears it at once (see revocation.ts), and the
 * TTL bounds staleness should a notification be missed.
 */
export class GatewayAuthenticator {
  private cache = new Map<string, { identity: GatewayIdentity | null; expires: number }>();

  constructor(
    private readonly db: Db,
    private readonly ttlMs = 1000,
  ) {}

  async authenticate(authorization: string | undefined): Promise<GatewayIdentity | null> {
    const key = bearerToken(authorization);
    if (key === null || key.length > 200) return null;
    const hash = hashGatewayKey(key);
    const cacheKey = hash.toString('base64');
    const hit = this.cache.get(cacheKey);
    const now = Date.now();
    if (hit && hit.expires > now) return hit.identity;
    let row;
    try {
      row = await this.db
        .selectFrom('gateways')
        .select(['id', 'site_id'])
        .where('key_hash', '=', hash)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
    } catch (err) {
      // With the database unreachable nobody can revoke a key either, so the last
      // answer still holds; the sender then learns `unavailable` from ingest itself.
      if (hit) return hit.identity;
      throw err;
    }
    const identity = row ? { gatewayId: row.id, siteId: row.site_id } : null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(cacheKey, { identity, expires: now + this.ttlMs });
    return identity;
  }

  invalidate(): void {
    this.cache.clear();
  }
}

/** Ids of the given gateways that are now revoked. */
export async function revokedAmong(db: Db, ids: readonly number[]): Promise<number[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('gateways')
    .select('id')
    .where('id', 'in', ids)
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
