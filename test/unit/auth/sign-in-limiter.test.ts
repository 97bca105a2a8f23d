import { describe, expect, it } from 'vitest';
import { DEFAULT_SIGN_IN_RULES, LockCache } from '../../../src/auth/sign-in-limiter.ts';

// The window itself is SQL (test/integration/sign-in-limits.test.ts); here, the local
// cache of locks the database reported.

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe('LockCache', () => {
  it('answers a reported lock with the time left, but trusts it only for maxTrustMs', () => {
    const c = clock();
    const cache = new LockCache({ maxTrustMs: 10_000, maxKeys: 10, now: c.now });
    cache.lock('account:a', 900_000);
    expect(cache.retryAfterMs('account:a')).toBe(900_000);
    c.advance(9_999);
    expect(cache.retryAfterMs('account:a')).toBe(890_001);
    c.advance(1);
    // Past the trust: the database is asked again (another instance may have lifted it).
    expect(cache.retryAfterMs('account:a')).toBe(0);
    expect(cache.size).toBe(0);
  });

  it('never outlives the lock itself, and forgets a key on request', () => {
    const c = clock();
    const cache = new LockCache({ maxTrustMs: 10_000, maxKeys: 10, now: c.now });
    cache.lock('a', 2000);
    c.advance(2000);
    expect(cache.retryAfterMs('a')).toBe(0);
    cache.lock('b', 5000);
    cache.forget('b');
    expect(cache.retryAfterMs('b')).toBe(0);
  });

  it('bounds memory: the least recently locked keys are forgotten first', () => {
    const cache = new LockCache({ maxTrustMs: 10_000, maxKeys: 3, now: clock().now });
    for (const k of ['a', 'b', 'c']) cache.lock(k, 5000);
    cache.lock('a', 5000);
    cache.lock('d', 5000);
    expect(cache.size).toBe(3);
    expect(cache.retryAfterMs('b')).toBe(0);
    expect(cache.retryAfterMs('a')).toBeGreaterThan(0);
  });
});

describe('DEFAULT_SIGN_IN_RULES', () => {
  it('allows 5 attempts per account and 50 per address in 15 minutes', () => {
    expect(DEFAULT_SIGN_IN_RULES).toEqual({ account: { max: 5, windowMs: 15 * 60_000 }, address: { max: 50, windowMs: 15 * 60_000 } });
  });
});
