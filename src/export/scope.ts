// Which sites an export covers: the analyst's own, or those of them the request names.
import type { SessionUser } from '../auth/guard.ts';
import { ServiceError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { sitesByCode, sitesById, type SiteRef } from '../store/export.ts';

/**
 * The site ids to export for `user`. A named site the user is not a member of is
 * refused exactly like one that does not exist, so sites cannot be discovered.
 */
export async function exportSites(db: Db, user: SessionUser, codes: readonly string[] | null): Promise<SiteRef[]> {
  if (codes === null) return sitesById(db, user.siteIds);
  const found = await sitesByCode(db, codes);
  const allowed = found.filter((s) => user.siteIds.includes(s.id));
  if (allowed.length !== codes.length) throw new ServiceError('forbidden', 'site: you may export only the sites you are a member of');
  return allowed;
}
