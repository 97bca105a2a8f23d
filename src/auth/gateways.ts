import type { Db } from '../store/db.ts';
import { activeGatewayByKeyHash } from '../store/gateways.ts';
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
      row = await activeGatewayByKeyHash(this.db, hash);
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

export { REVOCATION_CHANNEL, revokeGateway, revokedAmong } from '../store/gateways.ts';
