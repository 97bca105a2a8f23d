// Episodes from engine decisions, and the simulated clinic's resolution of quiet alerts.
import { describe, expect, it } from 'vitest';
import type { AlertDecision, AlertKind } from '../../../src/engine/index.ts';
import { EpisodeTracker } from '../../../simulators/evaluate/episodes.ts';

const DAY = 86_400_000;

function decision(kind: AlertKind, action: 'open' | 'update', at: number): AlertDecision {
  return {
    kind, priority: 'medium', action, trigger: { seq: 1, metric: 'm', value: 1, at },
    summary: '', evidence: {}, score: 0,
  };
}

describe('EpisodeTracker', () => {
  it('an open starts an episode and updates of the same kind extend it', () => {
    const t = new EpisodeTracker('d', 7 * DAY);
    t.add(decision('af_burden', 'open', 0));
    t.add(decision('af_burden', 'update', DAY));
    t.add(decision('crt_pacing_loss', 'open', DAY));
    t.add(decision('af_burden', 'update', 2 * DAY));
    expect(t.episodes).toEqual([
      { device: 'd', kind: 'af_burden', openedAt: 0, lastSeenAt: 2 * DAY, occurrences: 3 },
      { device: 'd', kind: 'crt_pacing_loss', openedAt: DAY, lastSeenAt: DAY, occurrences: 1 },
    ]);
  });

  it('resolves an episode once it has been quiet for the review delay, not before', () => {
    const t = new EpisodeTracker('d', 7 * DAY);
    t.add(decision('battery', 'open', 0));
    expect(t.resolveQuiet(7 * DAY - 1)).toEqual([]);
    expect(t.resolveQuiet(7 * DAY)).toEqual(['battery']);
    expect(t.resolveQuiet(8 * DAY)).toEqual([]);
    t.add(decision('battery', 'open', 9 * DAY));
    expect(t.episodes.map((e) => e.openedAt)).toEqual([0, 9 * DAY]);
  });

  it('an update with no episode held starts one', () => {
    const t = new EpisodeTracker('d', DAY);
    t.add(decision('lead_integrity', 'update', 5));
    expect(t.episodes).toHaveLength(1);
  });
});
