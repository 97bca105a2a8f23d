import type { Db } from './db.ts';

// Sites: the one lookup of a site by its code, and the admin's create and list.

type Reader = Pick<Db, 'selectFrom'>;

/** The id of the site with this code, or undefined. */
export async function siteIdByCode(db: Reader, code: string): Promise<number | undefined> {
  const row = await db.selectFrom('sites').select('id').where('code', '=', code).executeTakeFirst();
  return row?.id;
}

/** The sites among these codes (those that exist). */
export async function sitesWithCodes(db: Reader, codes: readonly string[]): Promise<Array<{ id: number; code: string }>> {
  return db.selectFrom('sites').select(['id', 'code']).where('code', 'in', codes).execute();
}

export async function insertSite(db: Db, code: string, name: string) {
  return db.insertInto('sites').values({ code, name }).returning(['id', 'code', 'name']).executeTakeFirstOrThrow();
}

export async function listSites(db: Db) {
  return db.selectFrom('sites').select(['id', 'code', 'name', 'created_at']).orderBy('id').execute();
}
