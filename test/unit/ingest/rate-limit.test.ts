import { describe, expect, it } from 'vitest';
import { newBucket, takeTokens } from '../../../src/ingest/rate-limit.ts';

describe('takeTokens', () => {
  it('allows a burst, refuses past it, and says when to retry', () => {
    const b = newBucket(100, 0);
    expect(takeTokens(b, 100, 0, 50, 100).allowed).toBe(true);
    const refused = takeTokens(b, 10, 0, 50, 100);
    expect(refused).toEqual({ allowed: false, retryAfterMs: 200 });
    expect(takeTokens(b, 10, 200, 50, 100).allowed).toBe(true);
  });
  it('lets a batch larger than the bucket through when the bucket is full', () => {
    const b = newBucket(10, 0);
    expect(takeTokens(b, 50, 0, 5, 10).allowed).toBe(true);
    expect(takeTokens(b, 50, 1000, 5, 10)).toEqual({ allowed: false, retryAfterMs: 1000 });
  });
  it('is off at rate 0', () => {
    expect(takeTokens(newBucket(1, 0), 1e9, 0, 0, 1).allowed).toBe(true);
  });
});
