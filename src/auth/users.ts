import type { Db } from '../store/db.ts';
import type { Role } from '../store/schema.ts';
import { sitesWithCodes } from '../store/sites.ts';
import {
  deleteUserSessions, insertUser, insertUserSites, markUserDisabled, signInAccount, siteCodesOf, userByEmail, userSiteRows,
} from '../store/users.ts';
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
    const existing = await userByEmail(trx, email);
    if (existing) throw new Error(`a user "${email}" exists already`);
    const codes = [...new Set(u.sites)];
    const sites = codes.length ? await sitesWithCodes(trx, codes) : [];
    const missing = codes.filter((c) => !sites.some((s) => s.code === c));
    if (missing.length) throw new Error(`no site ${missing.map((c) => `"${c}"`).join(', ')}`);
    const user = await insertUser(trx, { email, name: u.name.trim(), role: u.role, passwordHash });
    if (sites.length) await insertUserSites(trx, user.id, sites.map((s) => s.id));
    return { ...user, sites: sites.map((s) => s.code).sort() };
  });
}

/** Disable an account and end its sessions at once. False when it was disabled already. */
export async function disableUser(db: Db, email: string): Promise<boolean> {
  const e = normaliseEmail(email);
  return db.transaction().execute(async (trx) => {
    const user = await userByEmail(trx, e);
    if (!user) throw new Error(`no user "${e}"`);
    await deleteUserSessions(trx, user.id);
    if (user.disabled_at) return false;
    await markUserDisabled(trx, user.id);
    return true;
  });
}

export async function listUsers(db: Db) {
  const rows = await userSiteRows(db);
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
  const row = await signInAccount(db, normaliseEmail(email));
  return row ?? null;
}

/** Codes of the sites a user sees: every site for an admin, else their memberships. */
export async function siteCodes(db: Db, user: { role: Role; siteIds: readonly number[] }): Promise<string[]> {
  if (user.role !== 'admin' && user.siteIds.length === 0) return [];
  return siteCodesOf(db, user.role === 'admin' ? null : user.siteIds);
}
