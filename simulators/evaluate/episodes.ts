// Alert episodes of one device, built from the engine's decisions: an 'open' starts an
// episode, later 'update's of the same kind extend it. Also the simulated clinic's review:
// without a clinician resolving alerts the engine would hold each kind open for the whole
// run, so a second event of a kind could never open a new alert.
import type { AlertDecision, AlertKind } from '../../src/engine/index.ts';

export interface AlertEpisode {
  readonly device: string;
  readonly kind: AlertKind;
  /** Event time of the opening trigger, epoch ms. */
  readonly openedAt: number;
  lastSeenAt: number;
  occurrences: number;
}

export class EpisodeTracker {
  readonly episodes: AlertEpisode[] = [];
  private readonly open = new Map<AlertKind, AlertEpisode>();

  constructor(readonly device: string, private readonly resolveAfterMs: number) {}

  /**
   * Kinds whose episode has had no trigger for `resolveAfterMs` by `at`: the clinic resolves
   * them, and the caller tells the engine (acknowledgeResolved) before the next reading.
   */
  resolveQuiet(at: number): AlertKind[] {
    if (this.open.size === 0) return [];
    const done: AlertKind[] = [];
    for (const [kind, e] of this.open) {
      if (at - e.lastSeenAt >= this.resolveAfterMs) done.push(kind);
    }
    for (const kind of done) this.open.delete(kind);
    return done;
  }

  add(d: AlertDecision): void {
    const held = this.open.get(d.kind);
    // An 'update' with no episode held cannot come from the engine, but a restored state
    // could produce one; it is then counted as the start of an episode.
    if (d.action === 'open' || !held) {
      const e: AlertEpisode = { device: this.device, kind: d.kind, openedAt: d.trigger.at, lastSeenAt: d.trigger.at, occurrences: 1 };
      this.episodes.push(e);
      this.open.set(d.kind, e);
      return;
    }
    held.lastSeenAt = d.trigger.at;
    held.occurrences++;
  }
}
