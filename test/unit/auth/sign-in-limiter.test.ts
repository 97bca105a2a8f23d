import { describe, expect, it } from 'vitest';
import { defaultSignInLimits, FailureLimiter } from '../../../src/auth/sign-in-limiter.ts';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe('FailureLimiter', () => {
  it('allows maxFailures failures, then refuses until the oldest leaves the window', () => {
    const c = clock();
    const l = new FailureLimiter({ maxFailures: 3, windowMs: 60_000, now: c.now });
    for (let i = 0; i < 3; i++) {
      expect(l.retryAfterMs('a')).toBe(0);
      l.fail('a');
      c.advance(10_000);
    }
    // Failures at 0, 10 s, 20 s; now 30 s: the first leaves the window at 60 s.
    expect(l.retryAfterMs('a')).toBe(30_000);
    c.advance(29_999);
    expect(l.retryAfterMs('a')).toBe(1);
    c.advance(1);
    expect(l.retryAfterMs('a')).toBe(0);
  });

  it('counts keys separately, and reset forgets a key', () => {
    const l = new FailureLimiter({ maxFailures: 1, windowMs: 60_000, now: clock().now });
    l.fail('a');
    expect(l.retryAfterMs('a')).toBeGreaterThan(0);
    expect(l.retryAfterMs('b')).toBe(0);
    l.reset('a');
    expect(l.retryAfterMs('a')).toBe(0);
  });

  it('keeps failing attempts locked out: each failure extends the wait (sliding window)', () => {
    const c = clock();
    const l = new FailureLimiter({ maxFailures: 2, windowMs: 60_000, now: c.now });
    l.fail('a');
    c.advance(50_000);
    l.fail('a');
    expect(l.retryAfterMs('a')).toBe(10_000);
    c.advance(10_000);
    expect(l.retryAfterMs('a')).toBe(0);
    l.fail('a');
    expect(l.retryAfterMs('a')).toBe(50_000);
  });

  it('bounds memory: the least recently failed keys are forgotten first', () => {
    const l = new FailureLimiter({ maxFailures: 1, windowMs: 60_000, maxKeys: 3, now: clock().now });
    for (const k of ['a', 'b', 'c']) l.fail(k);
    l.fail('a'); // a is now the most recent
    l.fail('d');
    expect(l.size).toBe(3);
    expect(l.retryAfterMs('b')).toBe(0);
    expect(l.retryAfterMs('a')).toBeGreaterThan(0);
  });

  it('forgets keys whose failures have all expired', () => {
    const c = clock();
    const l = new FailureLimiter({ maxFailures: 5, windowMs: 1000, now: c.now });
    l.fail('a');
    c.advance(1000);
    expect(l.retryAfterMs('a')).toBe(0);
    expect(l.size).toBe(0);
  });
});

describe('defaultSignInLimits', () => {
  it('locks an account after 5 failures for 15 minutes, an address after 50', () => {
    const c = clock();
    const { account, address } = defaultSignInLimits(c.now);
    for (let i = 0; i < 5; i++) account.fail('x');
    expect(account.retryAfterMs('x')).toBe(15 * 60_000);
    for (let i = 0; i < 49; i++) address.fail('ip');
    expect(address.retryAfterMs('ip')).toBe(0);
    address.fail('ip');
    expect(address.retryAfterMs('ip')).toBe(15 * 60_000);
  });
});
