import { describe, expect, it } from 'vitest';
import {
  IDENTITY_MISMATCH_LIMIT, IDENTITY_MISMATCH_WINDOW_MS, IDENTITY_REFUSED_REASON, IdentityMismatchLimiter, type IdcoSender,
} from '../../../src/ingest/idco/identity-guard.ts';

const T0 = Date.UTC(2026, 2, 4);
const gw: IdcoSender = { transport: 'http', gatewayId: 7 };
const peer: IdcoSender = { transport: 'mllp', address: '10.0.0.7' };

describe('IdentityMismatchLimiter', () => {
  it(`lets ${IDENTITY_MISMATCH_LIMIT} mismatches through in an hour, then holds the sender until the oldest ages out`, () => {
    expect([IDENTITY_MISMATCH_LIMIT, IDENTITY_MISMATCH_WINDOW_MS]).toEqual([5, 3_600_000]);
    const l = new IdentityMismatchLimiter();
    for (let i = 0; i < IDENTITY_MISMATCH_LIMIT; i++) {
      expect(l.refusedFor(gw, 'D1', T0 + i * 1000)).toBe(0);
      expect(l.record(gw, 'D1', T0 + i * 1000)).toBe(i + 1);
    }
    expect(l.refusedFor(gw, 'D1', T0 + 10_000)).toBe(IDENTITY_MISMATCH_WINDOW_MS - 10_000);
    expect(l.refusedFor(gw, 'D1', T0 + IDENTITY_MISMATCH_WINDOW_MS - 1)).toBe(1);
    expect(l.refusedFor(gw, 'D1', T0 + IDENTITY_MISMATCH_WINDOW_MS)).toBe(0);
    // One slot freed, not five: the window slides.
    expect(l.record(gw, 'D1', T0 + IDENTITY_MISMATCH_WINDOW_MS)).toBe(IDENTITY_MISMATCH_LIMIT);
    expect(l.refusedFor(gw, 'D1', T0 + IDENTITY_MISMATCH_WINDOW_MS)).toBe(1000);
  });

  it('counts each device of a sender apart: one misenrolled device does not hold back a relay\'s others', () => {
    const l = new IdentityMismatchLimiter(2);
    l.record(gw, 'D1', T0);
    l.record(gw, 'D1', T0);
    expect(l.refusedFor(gw, 'D1', T0)).toBeGreaterThan(0);
    expect(l.refusedFor(gw, 'D2', T0)).toBe(0);
  });

  it('counts each sender apart, an HTTP gateway and an MLLP peer never sharing a count', () => {
    const l = new IdentityMismatchLimiter(2);
    l.record(gw, 'D1', T0);
    l.record(gw, 'D1', T0);
    expect(l.refusedFor(gw, 'D1', T0)).toBeGreaterThan(0);
    expect(l.refusedFor(peer, 'D1', T0)).toBe(0);
    expect(l.refusedFor({ transport: 'http', gatewayId: 8 }, 'D1', T0)).toBe(0);
    expect(l.refusedFor({ transport: 'mllp', address: '7' }, 'D1', T0)).toBe(0);
  });

  it('keeps memory bounded by forgetting the least recently seen senders', () => {
    const l = new IdentityMismatchLimiter(1, IDENTITY_MISMATCH_WINDOW_MS, 3);
    for (let i = 0; i < 10; i++) l.record({ transport: 'mllp', address: `10.0.0.${i}` }, 'D1', T0);
    expect(l.refusedFor({ transport: 'mllp', address: '10.0.0.9' }, 'D1', T0)).toBeGreaterThan(0);
    expect(l.refusedFor({ transport: 'mllp', address: '10.0.0.0' }, 'D1', T0)).toBe(0);
  });

  it('refuses in words that name no birth date, and fit MSA-3', () => {
    expect(IDENTITY_REFUSED_REASON.length).toBeLessThanOrEqual(80);
    expect(IDENTITY_REFUSED_REASON).not.toMatch(/birth|PID|date|patient/i);
  });
});
