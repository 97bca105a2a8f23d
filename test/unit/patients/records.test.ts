import { describe, expect, it } from 'vitest';
import { missingMetrics, usualMetrics } from '../../../src/patients/transmissions.ts';
import { mergeEpisodes } from '../../../src/patients/episodes.ts';

describe('usualMetrics', () => {
  it('is what more than half of the previous transmissions carried', () => {
    expect(usualMetrics([[1, 2, 3], [1, 2], [1, 2, 3], [1]])).toEqual(new Set([1, 2]));
    expect(usualMetrics([[1, 2], [1, 3], [1, 2]])).toEqual(new Set([1, 2]));
  });

  it('says nothing before three transmissions', () => {
    expect(usualMetrics([[1], [1]])).toBeNull();
  });
});

describe('missingMetrics', () => {
  it('judges each transmission against the ones before it, the page’s own included', () => {
    const page = [
      { key: 'c', deviceId: 1, received: '300', metrics: [1] },
      { key: 'b', deviceId: 1, received: '200', metrics: [1, 2, 3] },
      { key: 'x', deviceId: 2, received: '250', metrics: [9] },
    ];
    const earlier = new Map([[1, [[1, 2], [1, 2], [1, 2, 3]]]]);
    const m = missingMetrics(page, earlier);
    expect(m.get('b')).toEqual([]);
    // Before c: [1,2], [1,2], [1,2,3], [1,2,3]: 1 and 2 in all, 3 in half (not more).
    expect(m.get('c')).toEqual([2]);
    expect(m.get('x')).toBeNull();
  });
});

describe('mergeEpisodes', () => {
  it('lists counters and IDCO episodes newest first, and says when it cut the list', () => {
    const at = (d: number) => new Date(Date.UTC(2026, 0, d));
    const { episodes, truncated } = mergeEpisodes(
      [
        { serial: 'A', metric: 'vt_episodes', at: at(3), value: 2, receivedAt: at(4) },
        { serial: 'A', metric: 'shocks_delivered', at: at(1), value: 1, receivedAt: at(1) },
        { serial: 'A', metric: 'heart_rate', at: at(5), value: 70, receivedAt: at(5) },
      ],
      [{ serial: 'A', class: 'vf', vendor_type: '', at: null, duration_s: 9, therapy: 'shock', result: '', reported_at: at(2) }],
      2,
    );
    expect(episodes.map((e) => [e.class, e.count, e.timeOf])).toEqual([['vt', 2, 'device'], ['vf', null, 'report']]);
    expect(truncated).toBe(true);
  });
});
