import { describe, expect, it } from 'vitest';
import { chargeNeed, leaseChunk, leaseFor, mostAvailable, retryAfterMs } from '../../../src/ingest/rate-limit.ts';

// rate 1000/s, burst 2000: a chunk is a quarter second, 250 readings.
const RATE = 1000;
const BURST = 2000;

describe('the lease arithmetic of a gateway budget', () => {
  it('spends the local allowance without a lease while it covers the charge', () => {
    expect(leaseFor(100, 250, RATE, BURST)).toBeNull();
    expect(leaseFor(250, 250, RATE, BURST)).toBeNull();
  });

  it('leases the shortfall at least and a chunk at most for a small charge', () => {
    expect(leaseFor(100, 0, RATE, BURST)).toEqual({ atLeast: 100, atMost: 250 });
    expect(leaseFor(100, 40, RATE, BURST)).toEqual({ atLeast: 60, atMost: 250 });
  });

  it('leases exactly the shortfall of a charge larger than a chunk, so nothing is left over', () => {
    expect(leaseFor(1500, 100, RATE, BURST)).toEqual({ atLeast: 1400, atMost: 1400 });
  });

  it('never leaves more than one chunk unspent after a charge', () => {
    for (const [need, allowance] of [[1, 0], [100, 99], [249, 0], [250, 0], [1999, 1], [2000, 0]]) {
      const r = leaseFor(need!, allowance!, RATE, BURST)!;
      // The most the lease can grant, less what the charge takes.
      expect(allowance! + r.atMost - need!).toBeLessThanOrEqual(leaseChunk(RATE, BURST));
      expect(r.atMost).toBeGreaterThanOrEqual(r.atLeast);
    }
  });

  it('caps a chunk at the burst and a charge at the burst (a large batch passes a full bucket)', () => {
    expect(leaseChunk(100_000, 500)).toBe(500);
    expect(leaseChunk(RATE, BURST)).toBe(250);
    expect(chargeNeed(5000, BURST)).toBe(2000);
    expect(leaseFor(chargeNeed(5000, BURST), 0, RATE, BURST)).toEqual({ atLeast: 2000, atMost: 2000 });
  });

  it('answers the wait for the shared bucket to refill to the shortfall', () => {
    expect(retryAfterMs(100, 0, RATE)).toBe(100);
    expect(retryAfterMs(100, 40, RATE)).toBe(60);
    expect(retryAfterMs(10, 9.9995, RATE)).toBe(1);
    expect(retryAfterMs(2000, 0, 50)).toBe(40_000);
  });

  it('bounds what the shared bucket can hold since it was last seen: the refill, up to the burst', () => {
    expect(mostAvailable(40, 0, RATE, BURST)).toBe(40);
    expect(mostAvailable(40, 60, RATE, BURST)).toBe(100);
    expect(mostAvailable(1900, 1000, RATE, BURST)).toBe(2000);
    expect(mostAvailable(40, -5, RATE, BURST)).toBe(40);
  });
});
