// The arithmetic of a gateway's reading budget, leased from a bucket that every instance
// shares (gateway-budget.ts). Pure: no clock, no IO.

/** An instance leases about this many seconds of the gateway's rate at a time. */
export const LEASE_SECONDS = 0.25;

/** What a charge takes: a batch larger than the bucket passes when the bucket is full, never more often. */
export function chargeNeed(cost: number, burst: number): number {
  return Math.min(cost, burst);
}

/** The largest allowance an instance holds unspent: what N instances can overspend, at most, each. */
export function leaseChunk(ratePerSec: number, burst: number): number {
  return Math.min(burst, ratePerSec * LEASE_SECONDS);
}

export interface LeaseRequest {
  /** The shortfall: less than this from the shared bucket and the charge is refused. */
  readonly atLeast: number;
  /** The shortfall or a chunk, whichever is larger, never more than the bucket. */
  readonly atMost: number;
}

/**
 * What to lease for a charge of `need` with `allowance` left in memory; null when the
 * allowance covers it (no round trip). What is left after the charge is never more than a chunk.
 */
export function leaseFor(need: number, allowance: number, ratePerSec: number, burst: number): LeaseRequest | null {
  if (need <= allowance) return null;
  const atLeast = need - allowance;
  return { atLeast, atMost: Math.min(burst, Math.max(atLeast, leaseChunk(ratePerSec, burst))) };
}

/** How long until the shared bucket, holding `available`, refills to the shortfall. */
export function retryAfterMs(atLeast: number, available: number, ratePerSec: number): number {
  return Math.max(1, Math.ceil(((atLeast - available) * 1000) / ratePerSec));
}

/**
 * The most the shared bucket can hold `elapsedMs` after it was seen holding `available`:
 * it refills at the rate, up to the burst, and other instances only take from it. A shortfall
 * above this is refused without asking the database.
 */
export function mostAvailable(available: number, elapsedMs: number, ratePerSec: number, burst: number): number {
  return Math.min(burst, available + (Math.max(0, elapsedMs) * ratePerSec) / 1000);
}
