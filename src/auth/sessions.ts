import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../store/db.ts';
import type { Role } from '../store/schema.ts';
import { deleteSession, deleteStaleSessions, insertSession, sessionUser, touchSession, userSiteIds } from '../store/sessions.ts';

// Clinician sessions. The cookie holds 256 random bits; the database keeps only
// their SHA-256, so a copy of the table signs no one in. A session ends when it
// has been idle too long, at its absolute expiry, on sign-out, or when its user
// is disabled.

export const SESSION_COOKIE = 'session';

export interface SessionUser {
  readonly id: number;
  readonly role: Role;
  readonly name: string;
  /** The sign-in email: how alerts name their assignee. */
  readonly email: string;
  /** Sites the user is a member of (an admin sees every site regardless). */
  readonly siteIds: readonly number[];
}

export interface SessionOptions {
  readonly idleMs: number;
  readonly maxMs: number;
  /** Cookies marked Secure, and state-changing requests only from https pages (COOKIE_SECURE). */
  readonly secure: boolean;
  /** Injectable for tests; milliseconds since the epoch. */
  readonly now?: () => number;
}

/** Seen again within this long, a session's last_seen_at is not rewritten (spares a write per request). */
const TOUCH_MS = 30_000;

export function hashSessionToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export class SessionStore {
  readonly idleMs: number;
  readonly maxMs: number;
  readonly secure: boolean;
  private readonly now: () => number;

  constructor(
    private readonly db: Db,
    opts: SessionOptions,
  ) {
    this.idleMs = opts.idleMs;
    this.maxMs = opts.maxMs;
    this.secure = opts.secure;
    this.now = opts.now ?? Date.now;
  }

  /** A new session; returns the token (only ever in the cookie) and its absolute expiry. */
  async create(userId: number): Promise<{ token: string; expiresAt: Date }> {
    const token = randomBytes(32).toString('base64url');
    const now = new Date(this.now());
    const expiresAt = new Date(now.getTime() + this.maxMs);
    await insertSession(this.db, { tokenHash: hashSessionToken(token), userId, at: now, expiresAt });
    await this.sweep();
    return { token, expiresAt };
  }

  /**
   * The signed-in user, or null when the token is unknown, idle, expired or its user
   * disabled. A request counts as activity (it extends the idle timeout) unless `touch` is false.
   */
  async resolve(token: string | undefined, opts: { touch?: boolean } = {}): Promise<SessionUser | null> {
    if (!token || token.length > 100) return null;
    const hash = hashSessionToken(token);
    const row = await sessionUser(this.db, hash);
    if (!row) return null;
    const now = this.now();
    if (row.disabled_at || now >= row.expires_at.getTime() || now - row.last_seen_at.getTime() >= this.idleMs) {
      await deleteSession(this.db, hash);
      return null;
    }
    // A live stream re-checking its session is not the user being active: touch: false.
    if (opts.touch !== false && now - row.last_seen_at.getTime() >= TOUCH_MS) {
      await touchSession(this.db, hash, new Date(now));
    }
    const siteIds = await userSiteIds(this.db, row.id);
    return { id: row.id, role: row.role, name: row.name, email: row.email, siteIds };
  }

  async destroy(token: string | undefined): Promise<void> {
    if (!token || token.length > 100) return;
    await deleteSession(this.db, hashSessionToken(token));
  }

  /** Forget sessions that can no longer be used. */
  async sweep(): Promise<void> {
    const now = this.now();
    await deleteStaleSessions(this.db, new Date(now), new Date(now - this.idleMs));
  }
}
