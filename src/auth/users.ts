import { sql } from 'kysely';
import type { Db } from '../store/db.ts';
import type { Role } from '../store/schema.ts';
import { hashPassword } from './passwords.ts';

export const ROLES: readonly Role[] = ['clinician', 'analyst', 'admin'];

export function isRole(s: string): s is Role {
  return (ROLES as readonly string[]).includes(s);
}

/** Emails are compared lower-cased and trimmed. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function emailProblem(email: string): string | null {
  if (email.length < 3 || email.length > 254 || !/^[^\s@]+@[^\s@]+$/.test(email)) return `"${email}" is not an email address`;
  return null;
}

export interface NewUser {
  readonly email: string;
  readonly name: string;
  readonly role: Role;
  readonly password: string;
  /** Site codes; every one must exist. */
  readonly sites: readonly string[];
}

export async function createUser(db: Db, u: NewUser) {
  const email = normaliseEmail(u.email);
  const problem = emailProblem(email);
  if (problem) throw new Error(problem);
  if (!u.name.trim()) throw new Error('a user needs a name');
  const passwordHash = await hashPassword(u.password);
  return db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
    if (existing) throw new Error(`a user "${email}" exists already`);
    const codes = [...new Set(u.sites)];
    const sites = codes.length ? await trx.selectFrom('sites').select(['id', 'code']).where('code', 'in', codes).execute() : [];
    const missing = codes.filter((c) => !sites.some((s) => s.code === c));
    if (missing.length) throw new Error(`no site ${missing.map((c) => `"${c}"`).join(', ')}`);
    const user = await trx
      .insertInto('users')
      .values({ email, name: u.name.trim(), role: u.role, password_hash: passwordHash })
      .returning(['id', 'email', 'name', 'role'])
      .executeTakeFirstOrThrow();
    if (sites.length) await trx.insertInto('user_sites').values(sites.map((s) => ({ user_id: user.id, site_id: s.id }))).execute();
    return { ...user, sites: sites.map((s) => s.code).sort() };
  });
}

/** Disable an account and end its sessions at once. False when it was disabled already. */
export async function disableUser(db: Db, email: string): Promise<boolean> {
  const e = normaliseEmail(email);
  return db.transaction().execute(async (trx) => {
    const user = await trx.selectFrom('users').select(['id', 'disabled_at']).where('email', '=', e).executeTakeFirst();
    if (!user) throw new Error(`no user "${e}"`);
    await trx.deleteFrom('sessions').where('user_id', '=', user.id).execute();
    if (user.disabled_at) return false;
    await trx.updateTable('users').set({ disabled_at: sql`now()` }).where('id', '=', user.id).execute();
    return true;
  });
}

export async function listUsers(db: Db) {
  const rows = await db
    .selectFrom('users')
    .leftJoin('user_sites', 'user_sites.user_id', 'users.id')
    .leftJoin('sites', 'sites.id', 'user_sites.site_id')
    .select(['users.id', 'users.email', 'users.name', 'users.role', 'users.created_at', 'users.disabled_at', 'sites.code'])
    .orderBy('users.id')
    .orderBy('sites.code')
    .execute();
  const byId = new Map<number, { id: number; email: string; name: string; role: Role; sites: string[]; created_at: Date; disabled_at: Date | null }>();
  for (const r of rows) {
    let u = byId.get(r.id);
    if (!u) byId.set(r.id, (u = { id: r.id, email: r.email, name: r.name, role: r.role, sites: [], created_at: r.created_at, disabled_at: r.disabled_at }));
    if (r.code) u.sites.push(r.code);
  }
  return [...byId.values()];
}

/** The account a sign-in names, disabled or not; null when there is none. */
export async function findUserByEmail(db: Db, email: string) {
  // PostgreSQL refuses NUL and lone surrogates in text, and no stored email has them.
  if (email.includes('\u0000') || !email.isWellFormed()) return null;
  const row = await db
    .selectFrom('users')
    .select(['id', 'password_hash', 'disabled_at'])
    .where('email', '=', normaliseEmail(email))
    .executeTakeFirst();
  return row ?? null;
}

/** Codes of the sites a user sees: every site for an admin, else their memberships. */
export async function siteCodes(db: Db, user: { role: Role; siteIds: readonly number[] }): Promise<string[]> {
  if (user.role !== 'admin' && user.siteIds.length === 0) return [];
  let q = db.selectFrom('sites').select('code').orderBy('code');
  if (user.role !== 'admin') q = q.where('id', 'in', user.siteIds);
  return (await q.execute()).map((r) => r.code);
}
