import type { Db } from './db.ts';

// Sign-in sessions (by the hash of their token) and the sites of a user.

export async function insertSession(db: Db, s: { tokenHash: Buffer; userId: number; at: Date; expiresAt: Date }): Promise<void> {
  await db
    .insertInto('sessions')
    .values({ token_hash: s.tokenHash, user_id: s.userId, created_at: s.at, last_seen_at: s.at, expires_at: s.expiresAt })
    .execute();
}

/** The session of this token hash and its user. */
export async function sessionUser(db: Db, tokenHash: Buffer) {
  return db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['users.id', 'users.role', 'users.name', 'users.email', 'users.disabled_at', 'sessions.last_seen_at', 'sessions.expires_at'])
    .where('sessions.token_hash', '=', tokenHash)
    .executeTakeFirst();
}

export async function deleteSession(db: Db, tokenHash: Buffer): Promise<void> {
  await db.deleteFrom('sessions').where('token_hash', '=', tokenHash).execute();
}

export async function touchSession(db: Db, tokenHash: Buffer, at: Date): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: at }).where('token_hash', '=', tokenHash).execute();
}

/** The user's sites, ascending. */
export async function userSiteIds(db: Db, userId: number): Promise<number[]> {
  const sites = await db.selectFrom('user_sites').select('site_id').where('user_id', '=', userId).orderBy('site_id').execute();
  return sites.map((s) => s.site_id);
}

/** Delete the sessions expired by `expiredBy` or idle since `idleSince`. */
export async function deleteStaleSessions(db: Db, expiredBy: Date, idleSince: Date): Promise<void> {
  await db
    .deleteFrom('sessions')
    .where((eb) => eb.or([eb('expires_at', '<=', expiredBy), eb('last_seen_at', '<=', idleSince)]))
    .execute();
}
