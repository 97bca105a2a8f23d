import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../src/engine/config.ts';
import { connectivityCheck } from '../../../src/engine/connectivity.ts';

const HOUR = 3_600_000;
const now = Date.UTC(2025, 5, 1);

describe('connectivityCheck', () => {
  it('flags a device silent for 48 h while others of the site report, not at 47.9 h', () => {
    const seen = new Map([['a', now - 48 * HOUR], ['b', now - 47.9 * HOUR], ['c', now - HOUR]]);
    expect(connectivityCheck(seen, now, DEFAULT_CONFIG)).toEqual([{ device: 'a', lastSeenAt: now - 48 * HOUR, silentHours: 48 }]);
  });

  it('flags nobody when the whole site went quiet (relay or service down, not the patients)', () => {
    const seen = new Map([['a', now - 50 * HOUR], ['b', now - 60 * HOUR]]);
    expect(connectivityCheck(seen, now, DEFAULT_CONFIG)).toEqual([]);
  });

  it('lists the longest silence first', () => {
    const seen = new Map([['a', now - 50 * HOUR], ['b', now - 90 * HOUR], ['c', now]]);
    expect(connectivityCheck(seen, now, DEFAULT_CONFIG).map((s) => s.device)).toEqual(['b', 'a']);
  });
});
