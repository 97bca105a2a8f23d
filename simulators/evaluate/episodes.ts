// Alert episodes of one device, built from the engine's decisions: an 'open' starts an
// episode, later 'update's of the same kind extend it. Also the simulated clinic's review:
// without a clinician resolving alerts the engine would hold each kind open for the whole
// run, so a second event of a kind could never open an alert, and a condition that keeps
// triggering would cost one alert however long it lasts.
import type { AlertDecision, AlertKind } from '../../src/engine/index.ts';

const DAY_MS = 86_400_000;

export interface AlertEpisode {
  readonly device: string;
  readonly kind: AlertKind;
  /** Event time of the opening trigger, epoch ms. */
  readonly openedAt: number;
  lastSeenAt: number;
  occurrences: number;
}

/**
 * When the simulated clinic resolves an alert. 'after-open': `days` after it opened, whatever
 * happened since; a device clinic reviews its worklist daily, so the default is one day, and
 * a condition still triggering afterwards opens a new alert that costs the clinic another
 * review. 'quiet': once it has had no trigger for `days`, a lenient clinic that lets a noisy
 * alert accumulate updates instead of reopening.
 */
export interface Clinic {
  readonly resolve: 'after-open' | 'quiet';
  readonly days: number;
}

export const NEXT_DAY_CLINIC: Clinic = Object.freeze({ resolve: 'after-open', days: 1 });

export function describeClinic(c: Clinic): string {
  const d = `${c.days} day${c.days === 1 ? '' : 's'}`;
  return c.resolve === 'after-open' ? `resolved ${d} after it opened` : `resolved after ${d} without a trigger`;
}

export class EpisodeTracker {
  readonly episodes: AlertEpisode[] = [];
  private readonly open = new Map<AlertKind, AlertEpisode>();
  private readonly delayMs: number;

  constructor(readonly device: string, private readonly clinic: Clinic) {
    this.delayMs = clinic.days * DAY_MS;
  }

  /**
   * Kinds the clinic has resolved by `at`; the caller tells the engine (acknowledgeResolved)
   * before the next reading, so the engine's next trigger of the kind is an 'open'.
   */
  resolveDue(at: number): AlertKind[] {
    if (this.open.size === 0) return [];
    const done: AlertKind[] = [];
    for (const [kind, e] of this.open) {
      const since = this.clinic.resolve === 'after-open' ? e.openedAt : e.lastSeenAt;
      if (at - since >= this.delayMs) done.push(kind);
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
