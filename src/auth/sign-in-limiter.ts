import type { Db } from '../store/db.ts';
import { clearAttempts, releaseAttempt, reserveAttempt, sweepAttempts } from '../store/sign-in-attempts.ts';

// Sign-in attempts, counted per account (normalised email) and per client address in a
// sliding window held in PostgreSQL (table sign_in_attempts), so that every instance of
// the service spends the same budget. An attempt takes its slot before the password is
// hashed: parallel attempts cannot all pass a check made before any of them has failed.
// A success gives the slot back, so only failures remain counted.

export type LimitKind = 'account' | 'address';

export interface LimitRule {
  /** Attempts allowed within the window; the next one is refused. */
  readonly max: number;
  readonly windowMs: number;
}

export interface SignInRules {
  readonly account: LimitRule;
  readonly address: LimitRule;
}

/**
 * 5 per account and 50 per client address in 15 minutes. The address limit is looser:
 * a clinic's staff may share one address behind NAT.
 */
export const DEFAULT_SIGN_IN_RULES: SignInRules = {
  account: { max: 5, windowMs: 15 * 60_000 },
  address: { max: 50, windowMs: 15 * 60_000 },
};

/** What reserve() decided. */
export type Reservation =
  | { readonly allowed: true; readonly kind: LimitKind; readonly key: string; readonly token: string }
  | { readonly allowed: false; readonly kind: LimitKind; readonly key: string; readonly retryAfterMs: number };

export interface LockCacheOptions {
  /** How long a lock learned from the database is trusted without asking again. */
  readonly maxTrustMs: number;
  /** Keys held at most; the oldest are forgotten first (bounds memory under a spray). */
  readonly maxKeys: number;
  readonly now?: () => number;
}

/**
 * Keys the database has just refused, remembered for a few seconds so that a flood
 * against a locked account or address is answered without a write to the database for
 * each request. It can only refuse, and only for a lock the database reported; the
 * short trust bounds the case where another instance's success has lifted it meanwhile.
 */
export class LockCache {
  private readonly locks = new Map<string, { until: number; trustUntil: number }>();
  private readonly now: () => number;

  constructor(private readonly opts: LockCacheOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** 0 when unknown or no longer trusted, else ms until the lock ends. */
  retryAfterMs(key: string): number {
    const lock = this.locks.get(key);
    if (!lock) return 0;
    const now = this.now();
    if (now >= lock.trustUntil || now >= lock.until) {
      this.locks.delete(key);
      return 0;
    }
    return lock.until - now;
  }

  lock(key: string, retryAfterMs: number): void {
    const now = this.now();
    this.locks.delete(key);
    this.locks.set(key, { until: now + retryAfterMs, trustUntil: now + Math.min(retryAfterMs, this.opts.maxTrustMs) });
    while (this.locks.size > this.opts.maxKeys) this.locks.delete(this.locks.keys().next().value!);
  }

  forget(key: string): void {
    this.locks.delete(key);
  }

  get size(): number {
    return this.locks.size;
  }
}

export interface SignInLimiterOptions {
  readonly rules?: SignInRules;
  /** Local lock cache; see LockCache. */
  readonly cache?: LockCacheOptions;
  /** Sweep idle rows after this many reservations by this process. */
  readonly sweepEvery?: number;
}

export class SignInLimiter {
  readonly rules: SignInRules;
  readonly cache: LockCache;
  private readonly sweepEvery: number;
  private reservations = 0;

  constructor(
    private readonly db: Db,
    opts: SignInLimiterOptions = {},
  ) {
    this.rules = opts.rules ?? DEFAULT_SIGN_IN_RULES;
    this.cache = new LockCache(opts.cache ?? { maxTrustMs: 10_000, maxKeys: 10_000 });
    this.sweepEvery = opts.sweepEvery ?? 500;
  }

  /** 0, or ms until a lock this process learned of recently ends (no database round trip). */
  knownLockMs(kind: LimitKind, key: string): number {
    return this.cache.retryAfterMs(`${kind}:${key}`);
  }

  /**
   * Take one attempt's slot for `key`, or learn how long until one is free. One
   * statement: the row lock of the upsert orders concurrent attempts on a key, and each
   * sees the slots taken by those before it, on this instance or another.
   */
  async reserve(kind: LimitKind, key: string): Promise<Reservation> {
    const cacheKey = `${kind}:${key}`;
    const cached = this.cache.retryAfterMs(cacheKey);
    if (cached > 0) return { allowed: false, kind, key, retryAfterMs: cached };
    if (++this.reservations % this.sweepEvery === 0) void this.sweep().catch(() => undefined);

    const { max, windowMs } = this.rules[kind];
    const row = await reserveAttempt(this.db, kind, key, max, windowMs);
    if (row.allowed) return { allowed: true, kind, key, token: row.token };
    this.cache.lock(cacheKey, row.retry_after_ms);
    return { allowed: false, kind, key, retryAfterMs: row.retry_after_ms };
  }

  /** Give back one reserved slot (the attempt did not fail: it succeeded, or was never evaluated). */
  async release(r: Reservation): Promise<void> {
    if (!r.allowed) return;
    await releaseAttempt(this.db, r.kind, r.key, r.token);
  }

  /** A successful sign-in clears the account's failures, here and on every instance. */
  async clear(kind: LimitKind, key: string): Promise<void> {
    this.cache.forget(`${kind}:${key}`);
    await clearAttempts(this.db, kind, key);
  }

  /** Delete rows whose every attempt has left the window; a bounded batch per call. */
  async sweep(): Promise<number> {
    const longest = Math.max(this.rules.account.windowMs, this.rules.address.windowMs);
    return sweepAttempts(this.db, longest);
  }
}
