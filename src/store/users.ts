import { sql } from 'kysely';
import type { Db } from './db.ts';
import type { Role } from './schema.ts';

// Users, their sites, and the lookups of sign-in. Pass a transaction as `db` to make
// several of these one change.

export async function userByEmail(db: Db, email: string) {
  return db.selectFrom('users').select(['id', 'disabled_at']).where('email', '=', email).executeTakeFirst();
}

export async function insertUser(db: Db, u: { email: string; name: string; role: Role; passwordHash: string }) {
  return db
    .insertInto('users')
    .values({ email: u.email, name: u.name, role: u.role, password_hash: u.passwordHash })
    .returning(['id', 'email', 'name', 'role'])
    .executeTakeFirstOrThrow();
}

export async function insertUserSites(db: Db, userId: number, siteIds: readonly number[]): Promise<void> {
  await db.insertInto('user_sites').values(siteIds.map((siteId) => ({ user_id: userId, site_id: siteId }))).execute();
}

export async function deleteUserSessions(db: Db, userId: number): Promise<void> {
  await db.deleteFrom('sessions').where('user_id', '=', userId).execute();
}

export async function markUserDisabled(db: Db, userId: number): Promise<void> {
  await db.updateTable('users').set({ disabled_at: sql`now()` }).where('id', '=', userId).execute();
}

/** Every user with each of their site codes, one row per (user, site), by user then code. */
export async function userSiteRows(db: Db) {
  return db
    .selectFrom('users')
    .leftJoin('user_sites', 'user_sites.user_id', 'users.id')
    .leftJoin('sites', 'sites.id', 'user_sites.site_id')
    .select(['users.id', 'users.email', 'users.name', 'users.role', 'users.created_at', 'users.disabled_at', 'sites.code'])
    .orderBy('users.id')
    .orderBy('sites.code')
    .execute();
}

/** What a sign-in checks of the account with this (normalised) email. */
export async function signInAccount(db: Db, email: string) {
  return db
    .selectFrom('users')
    .select(['id', 'password_hash', 'disabled_at'])
    .where('email', '=', email)
    .executeTakeFirst();
}

/** Codes of these sites (every site with null), ascending. */
export async function siteCodesOf(db: Db, siteIds: readonly number[] | null): Promise<string[]> {
  let q = db.selectFrom('sites').select('code').orderBy('code');
  if (siteIds !== null) q = q.where('id', 'in', siteIds);
  return (await q.execute()).map((r) => r.code);
}
