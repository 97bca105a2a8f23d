import type { Db } from '../store/db.ts';
import { gatewayById, insertGateway } from '../store/gateways.ts';
import { insertSite, siteIdByCode } from '../store/sites.ts';
import { generateGatewayKey, hashGatewayKey, keyPrefix } from '../auth/keys.ts';
import { revokeGateway } from '../auth/gateways.ts';

export { createUser, disableUser, listUsers } from '../auth/users.ts';

// Administrative operations, each a plain function of the database: the CLI and
// the tests call the same code.

export async function createSite(db: Db, code: string, name: string) {
  if (!/^[a-z0-9][a-z0-9_-]{0,31}$/.test(code)) {
    throw new Error('a site code is 1-32 characters of a-z 0-9 _ -, starting with a letter or digit');
  }
  if ((await siteIdByCode(db, code)) !== undefined) throw new Error(`site "${code}" exists already`);
  return insertSite(db, code, name);
}

export { listSites } from '../store/sites.ts';
export { listGateways } from '../store/gateways.ts';

/** Returns the key in clear: the only time it exists outside the gateway. */
export async function createGateway(db: Db, siteCode: string, name: string) {
  const siteId = await siteIdByCode(db, siteCode);
  if (siteId === undefined) throw new Error(`no site "${siteCode}" (create it with: site create ${siteCode} --name "...")`);
  const key = generateGatewayKey();
  const id = await insertGateway(db, { siteId, name, keyHash: hashGatewayKey(key), keyPrefix: keyPrefix(key) });
  return { id, site: siteCode, name, key };
}

export async function revoke(db: Db, gatewayId: number): Promise<void> {
  const exists = await gatewayById(db, gatewayId);
  if (!exists) throw new Error(`no gateway with id ${gatewayId}`);
  if (exists.revoked_at) throw new Error(`gateway ${gatewayId} was revoked already at ${exists.revoked_at.toISOString()}`);
  await revokeGateway(db, gatewayId);
}

export { listQuarantine, type QuarantineFilter } from '../store/quarantine.ts';
