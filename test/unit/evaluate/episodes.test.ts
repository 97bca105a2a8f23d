// Episodes from engine decisions, and the simulated clinic's two ways of resolving them.
import { describe, expect, it } from 'vitest';
import type { AlertDecision, AlertKind } from '../../../src/engine/index.ts';
import { EpisodeTracker, NEXT_DAY_CLINIC, type Clinic } from '../../../simulators/evaluate/episodes.ts';

const DAY = 86_400_000;
const QUIET_7: Clinic = { resolve: 'quiet', days: 7 };

function decision(kind: AlertKind, action: 'open' | 'update', at: number): AlertDecision {
  return {
    kind, priority: 'medium', action, trigger: { seq: 1, metric: 'm', value: 1, at },
    summary: '', evidence: {}, score: 0,
  };
}

/**
 * A stand-in for the engine: a condition that triggers on each given day. Like the engine it
 * answers 'update' while it holds the kind open and 'open' once the clinic has resolved it.
 */
function drive(t: EpisodeTracker, kind: AlertKind, days: readonly number[]): void {
  let held = false;
  for (const day of days) {
    if (t.resolveDue(day * DAY).includes(kind)) held = false;
    t.add(decision(kind, held ? 'update' : 'open', day * DAY));
    held = true;
  }
}

describe('EpisodeTracker', () => {
  it('an open starts an episode and updates of the same kind extend it', () => {
    const t = new EpisodeTracker('d', QUIET_7);
    t.add(decision('af_burden', 'open', 0));
    t.add(decision('af_burden', 'update', DAY));
    t.add(decision('crt_pacing_loss', 'open', DAY));
    t.add(decision('af_burden', 'update', 2 * DAY));
    expect(t.episodes).toEqual([
      { device: 'd', kind: 'af_burden', openedAt: 0, lastSeenAt: 2 * DAY, occurrences: 3 },
      { device: 'd', kind: 'crt_pacing_loss', openedAt: DAY, lastSeenAt: DAY, occurrences: 1 },
    ]);
  });

  it('quiet clinic: resolves an episode once it has been quiet for the delay, not before', () => {
    const t = new EpisodeTracker('d', QUIET_7);
    t.add(decision('battery', 'open', 0));
    expect(t.resolveDue(7 * DAY - 1)).toEqual([]);
    expect(t.resolveDue(7 * DAY)).toEqual(['battery']);
    expect(t.resolveDue(8 * DAY)).toEqual([]);
    t.add(decision('battery', 'open', 9 * DAY));
    expect(t.episodes.map((e) => e.openedAt)).toEqual([0, 9 * DAY]);
  });

  it('next-day clinic: resolves one day after the opening even while it keeps triggering', () => {
    const t = new EpisodeTracker('d', NEXT_DAY_CLINIC);
    t.add(decision('hf_decompensation', 'open', 0));
    t.add(decision('hf_decompensation', 'update', DAY / 2));
    expect(t.resolveDue(DAY - 1)).toEqual([]);
    expect(t.resolveDue(DAY)).toEqual(['hf_decompensation']);
  });

  it('next-day clinic: a condition triggering daily for 5 days is 5 openings; the quiet clinic sees 1', () => {
    const nextDay = new EpisodeTracker('d', NEXT_DAY_CLINIC);
    drive(nextDay, 'hf_decompensation', [0, 1, 2, 3, 4]);
    expect(nextDay.episodes.map((e) => e.openedAt / DAY)).toEqual([0, 1, 2, 3, 4]);
    const quiet = new EpisodeTracker('d', QUIET_7);
    drive(quiet, 'hf_decompensation', [0, 1, 2, 3, 4]);
    expect(quiet.episodes).toMatchObject([{ openedAt: 0, occurrences: 5 }]);
  });

  it('next-day clinic: triggers within the day of the opening stay one episode', () => {
    const t = new EpisodeTracker('d', NEXT_DAY_CLINIC);
    drive(t, 'af_burden', [0, 0.25, 0.5, 0.99, 1.5, 2.6]);
    // Opened 0 (held through 0.99), re-opened 1.5 (held to 2.5), re-opened 2.6.
    expect(t.episodes.map((e) => [e.openedAt / DAY, e.occurrences])).toEqual([[0, 4], [1.5, 1], [2.6, 1]]);
  });

  it('an update with no episode held starts one', () => {
    const t = new EpisodeTracker('d', NEXT_DAY_CLINIC);
    t.add(decision('lead_integrity', 'update', 5));
    expect(t.episodes).toHaveLength(1);
  });
});
