import type { Db } from '../store/db.ts';
import { generateGatewayKey, hashGatewayKey, keyPrefix } from '../auth/keys.ts';
import { revokeGateway } from '../auth/gateways.ts';

export { createUser, disableUser, listUsers } from '../auth/users.ts';

// Administrative operations, each a plain function of the database: the CLI and
// the tests call the same code.

export async function createSite(db: Db, code: string, name: string) {
  if (!/^[a-z0-9][a-z0-9_-]{0,31}$/.test(code)) {
    throw new Error('a site code is 1-32 characters of a-z 0-9 _ -, starting with a letter or digit');
  }
  const existing = await db.selectFrom('sites').select('id').where('code', '=', code).executeTakeFirst();
  if (existing) throw new Error(`site "${code}" exists already`);
  return db.insertInto('sites').values({ code, name }).returning(['id', 'code', 'name']).executeTakeFirstOrThrow();
}

export async function listSites(db: Db) {
  return db.selectFrom('sites').select(['id', 'code', 'name', 'created_at']).orderBy('id').execute();
}

/** Returns the key in clear: the only time it exists outside the gateway. */
export async function createGateway(db: Db, siteCode: string, name: string) {
  const site = await db.selectFrom('sites').select('id').where('code', '=', siteCode).executeTakeFirst();
  if (!site) throw new Error(`no site "${siteCode}" (create it with: site create ${siteCode} --name "...")`);
  const key = generateGatewayKey();
  const row = await db
    .insertInto('gateways')
    .values({ site_id: site.id, name, key_hash: hashGatewayKey(key), key_prefix: keyPrefix(key) })
    .returning(['id'])
    .executeTakeFirstOrThrow();
  return { id: row.id, site: siteCode, name, key };
}

export async function listGateways(db: Db) {
  return db
    .selectFrom('gateways')
    .innerJoin('sites', 'sites.id', 'gateways.site_id')
    .select(['gateways.id', 'sites.code as site', 'gateways.name', 'gateways.key_prefix', 'gateways.created_at', 'gateways.revoked_at'])
    .orderBy('gateways.id')
    .execute();
}

export async function revoke(db: Db, gatewayId: number): Promise<void> {
  const exists = await db.selectFrom('gateways').select(['id', 'revoked_at']).where('id', '=', gatewayId).executeTakeFirst();
  if (!exists) throw new Error(`no gateway with id ${gatewayId}`);
  if (exists.revoked_at) throw new Error(`gateway ${gatewayId} was revoked already at ${exists.revoked_at.toISOString()}`);
  await revokeGateway(db, gatewayId);
}

export interface QuarantineFilter {
  readonly limit: number;
  readonly site?: string;
  readonly code?: string;
}

export async function listQuarantine(db: Db, f: QuarantineFilter) {
  let q = db
    .selectFrom('quarantine')
    .leftJoin('sites', 'sites.id', 'quarantine.site_id')
    .select(['quarantine.id', 'quarantine.received_at', 'sites.code as site', 'quarantine.gateway_id', 'quarantine.source',
      'quarantine.batch_id', 'quarantine.idx', 'quarantine.code', 'quarantine.message', 'quarantine.raw'])
    .orderBy('quarantine.id', 'desc')
    .limit(f.limit);
  if (f.site) q = q.where('sites.code', '=', f.site);
  if (f.code) q = q.where('quarantine.code', '=', f.code);
  return q.execute();
}
