import { sql } from 'kysely';
import type { Db } from '../store/db.ts';

export interface DeviceRef {
  readonly id: number;
  readonly siteId: number;
}

/**
 * Device serial -> id and site. A device unknown to the service is registered on
 * its first reading to the sending gateway's site. Devices never move site on
 * their own, so the cache needs no invalidation for ingest.
 */
export class DeviceRegistry {
  private cache = new Map<string, DeviceRef>();

  constructor(private readonly db: Db) {}

  async resolve(serials: Iterable<string>, siteId: number, gatewayId: number): Promise<Map<string, DeviceRef>> {
    const out = new Map<string, DeviceRef>();
    const unknown: string[] = [];
    for (const s of serials) {
      const hit = this.cache.get(s);
      if (hit) out.set(s, hit);
      else unknown.push(s);
    }
    if (unknown.length === 0) return out;
    await sql`
      INSERT INTO devices (serial, site_id, first_gateway_id)
      SELECT s, ${siteId}, ${gatewayId} FROM unnest(${unknown}::text[]) AS s
      ON CONFLICT (serial) DO NOTHING`.execute(this.db);
    const rows = await this.db
      .selectFrom('devices')
      .select(['id', 'serial', 'site_id'])
      .where('serial', 'in', unknown)
      .execute();
    for (const r of rows) {
      const ref = { id: r.id, siteId: r.site_id };
      if (this.cache.size < 1_000_000) this.cache.set(r.serial, ref);
      out.set(r.serial, ref);
    }
    return out;
  }
}
