import { describe, expect, it } from 'vitest';
import { committedByStatus, type PendingBatch } from '../../../simulators/gateway/resume.ts';

const r = (device: string, seq: number) => ({ device, seq, at: '2025-01-01T02:00:00Z', metric: 'activity', value: 1 });
const batch = (id: string, ...readings: ReturnType<typeof r>[]): PendingBatch => ({ id, readings, attempts: 1 });

describe('resume after reconnect', () => {
  it('counts a batch as committed when it alone holds the stored lastSeq', () => {
    const a = batch('a', r('d1', 1), r('d1', 2));
    const b = batch('b', r('d1', 3), r('d2', 9));
    const done = committedByStatus([a, b], [a, b], new Map([['d1', 3]]), new Map());
    expect([...done]).toEqual([b]);
  });

  it('does not trust lastSeq as a watermark for earlier batches', () => {
    const a = batch('a', r('d1', 1));
    const b = batch('b', r('d1', 2));
    const done = committedByStatus([a, b], [a, b], new Map([['d1', 2]]), new Map());
    expect(done.has(a)).toBe(false);
  });

  it('learns nothing when an acked batch already carried that seq, or two batches hold it', () => {
    const a = batch('a', r('d1', 5));
    const dup = batch('dup', r('d1', 5));
    expect(committedByStatus([a], [a], new Map([['d1', 5]]), new Map([['d1', 5]])).size).toBe(0);
    expect(committedByStatus([a, dup], [a, dup], new Map([['d1', 5]]), new Map()).size).toBe(0);
  });
});
