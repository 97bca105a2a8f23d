// Which patient a route acts on, as the caller may see it: one rule for every patient route.
import { ServiceError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { patientSite } from '../store/patients.ts';
import { canSeeSite, type SessionUser } from '../auth/guard.ts';
import { parsePatientRef } from './identity.ts';

/** The patient `ref` (p-17) names and her site; `not_found` when there is none or she is of a site the caller may not see (the two are indistinguishable). */
export async function visiblePatientSite(db: Db, user: SessionUser, ref: string): Promise<{ readonly id: number; readonly siteId: number }> {
  const id = parsePatientRef(ref);
  const p = id === null ? undefined : await patientSite(db, id);
  if (!p || !canSeeSite(user, p.site_id)) throw new ServiceError('not_found', 'no such patient');
  return { id: p.id, siteId: p.site_id };
}
