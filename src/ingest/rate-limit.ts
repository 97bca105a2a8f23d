// A token bucket per gateway, in readings. Pure: the caller passes the time.

export interface Bucket {
  tokens: number;
  updatedAt: number;
}

export interface RateDecision {
  readonly allowed: boolean;
  /** When refused, how long until the batch would fit. */
  readonly retryAfterMs: number;
}

export function takeTokens(bucket: Bucket, cost: number, now: number, ratePerSec: number, burst: number): RateDecision {
  if (ratePerSec <= 0) return { allowed: true, retryAfterMs: 0 };
  const elapsed = Math.max(0, now - bucket.updatedAt);
  bucket.tokens = Math.min(burst, bucket.tokens + (elapsed * ratePerSec) / 1000);
  bucket.updatedAt = now;
  // A batch larger than the bucket passes when the bucket is full, never more often.
  const need = Math.min(cost, burst);
  if (need <= bucket.tokens) {
    bucket.tokens -= need;
    return { allowed: true, retryAfterMs: 0 };
  }
  const missing = need - bucket.tokens;
  return { allowed: false, retryAfterMs: Math.max(1, Math.ceil((missing * 1000) / ratePerSec)) };
}

export function newBucket(burst: number, now: number): Bucket {
  return { tokens: burst, updatedAt: now };
}
