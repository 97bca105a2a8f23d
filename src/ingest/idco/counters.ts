// A device's "recent" counters count since its statistics were last reset (usually at an
// in-clinic session), not since the last report: the same shocks appear in every
// transmission until then. The vocabulary's counts are "since the previous report", so a
// counter becomes a reading of its difference from the previous transmission's value. Pure.
import type { EpisodeClass, IdcoCounter, IdcoEpisode } from './clinical.ts';

export interface PreviousCount {
  readonly value: number;
  /** The counting period's start the previous transmission gave, epoch ms; null when none. */
  readonly periodStart: number | null;
}

export interface CounterDelta {
  readonly delta: number;
  /** The counter was reset since the previous transmission (its value fell, or its period restarted). */
  readonly reset: boolean;
}

/**
 * The count new since the previous transmission. A counter never seen before is new in
 * full. A fall in value, or a new period start, means a reset in between: the value is
 * all new. A reset after which the device counted back up to at least the old value
 * cannot be told from no reset when the message gives no period start; docs/idco.md says
 * what that misses and what still alerts.
 */
export function counterDelta(prev: PreviousCount | undefined, cur: { readonly value: number; readonly periodStart: number | undefined }): CounterDelta {
  if (!prev) return { delta: cur.value, reset: false };
  const restarted = cur.periodStart !== undefined && prev.periodStart !== null && cur.periodStart !== prev.periodStart;
  if (restarted || cur.value < prev.value) return { delta: cur.value, reset: true };
  return { delta: cur.value - prev.value, reset: false };
}

/** The vocabulary metric a counter's difference is a reading of, if any. */
export function counterMetric(c: Pick<IdcoCounter, 'name' | 'episodeClass'>): string | null {
  if (c.name === 'MDC_IDC_STAT_TACHYTHERAPY_SHOCKS_DELIVERED_RECENT') return 'shocks_delivered';
  if (c.name === 'MDC_IDC_STAT_TACHYTHERAPY_ATP_DELIVERED_RECENT') return 'atp_delivered';
  return episodeMetric(c.episodeClass);
}

/** The vocabulary's episode count for an episode class: ventricular ones only. */
export function episodeMetric(cls: EpisodeClass | null): string | null {
  return cls === 'vt' ? 'vt_episodes' : cls === 'vf' ? 'vf_episodes' : cls === 'nsvt' ? 'nsvt_episodes' : null;
}

/**
 * A stable identity for an episode across transmissions (the device keeps listing it until
 * its memory is cleared): the device's own id when sent, else its class and time, else its
 * class, the report's time and its place in the message.
 */
export function episodeKey(e: IdcoEpisode, reportAt: number): string {
  if (e.id !== '') return `id:${e.id}`;
  return e.at !== undefined ? `${e.episodeClass}@${e.at}` : `${e.episodeClass}@report:${reportAt}#${e.subId}`;
}
