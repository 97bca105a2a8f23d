import type { Db } from './db.ts';

// The quarantine: what ingest refused, newest first (the admin's `quarantine list`).

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
