import { describe, expect, it } from 'vitest';
import { overdueRows, pastHours } from '../../../src/worklists/overdue.ts';
import type { SilenceLimit } from '../../../src/engine/index.ts';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 11, 6, 12);
const floor: SilenceLimit = { hours: 48, expectedHours: null, source: 'floor' };
const weekly: SilenceLimit = { hours: 336, expectedHours: 168, source: 'configured' };
const row = (device_id: number, hoursAgo: number) => ({ device_id, received_at: new Date(NOW - hoursAgo * HOUR) });

describe('overdue devices', () => {
  it('lists only the rows past their own limit, most overdue first', () => {
    const rows = [row(1, 49), row(2, 47), row(3, 200), row(4, 340), row(5, 100)];
    const out = overdueRows(rows, new Map([[3, weekly], [4, weekly]]), floor, NOW);
    expect(out.map((o) => [o.row.device_id, o.overdueMs / HOUR])).toEqual([[5, 52], [4, 4], [1, 1]]);
    expect(out.find((o) => o.row.device_id === 4)!.limit).toBe(weekly);
  });

  it('is not overdue exactly at the limit', () => {
    expect(overdueRows([row(1, 48)], new Map(), floor, NOW)).toEqual([]);
    expect(pastHours(row(1, 48).received_at, 48, NOW)).toBe(false);
    expect(pastHours(row(1, 48.01).received_at, 48, NOW)).toBe(true);
  });
});
