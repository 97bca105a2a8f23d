// The records of an IDCO message beside its readings, stored, and the readings they
// make: each "recent" counter's difference from the previous transmission, and one episode
// count per ventricular episode the message lists that no counter of its class covers.
import type { Db } from '../store/db.ts';
import { recordCounters, recordEpisodes, recordObservations } from '../store/idco-records.ts';
import type { IdcoMessage } from './idco/mapping.ts';
import { counterDelta, counterMetric, episodeKey, episodeMetric } from './idco/counters.ts';
import { toRfc3339 } from './idco/timestamp.ts';

export interface DerivedReading {
  readonly device: string;
  readonly at: string;
  readonly metric: string;
  readonly value: number;
  /** Stable identity (its seq is derived from it): the same message gives the same keys. */
  readonly key: string;
}

/**
 * Store the message's episodes, counters, settings and lead status, and answer the
 * readings they make. `receivedAt` stands in for the report time when the message gives
 * none (its counters then cannot be ordered against other transmissions' and are kept
 * only as this one's).
 */
export async function storeIdcoRecords(db: Db, msg: IdcoMessage, receivedAt: number): Promise<DerivedReading[]> {
  const { episodes, counters, observations } = msg.clinical;
  if (episodes.length + counters.length + observations.length === 0) return [];
  const reportAt = msg.reportTime ?? receivedAt;
  const at = toRfc3339(reportAt) ?? new Date(receivedAt).toISOString();
  const reportedAt = new Date(reportAt);
  const readings: DerivedReading[] = [];

  const unique = [...new Map(counters.map((c) => [c.name, c] as const)).values()];
  const previous = await recordCounters(db, msg.device, reportedAt, unique.map((c) => ({ name: c.name, value: c.value, periodStart: c.periodStart === undefined ? null : new Date(c.periodStart) })));
  const counted = new Set<string>();
  for (const c of unique) {
    const metric = counterMetric(c);
    if (metric === null) continue;
    if (c.episodeClass !== null) counted.add(c.episodeClass);
    const prev = previous.get(c.name);
    const { delta } = counterDelta(prev && { value: prev.value, periodStart: prev.periodStart?.getTime() ?? null }, c);
    readings.push({ device: msg.device, at, metric, value: delta, key: `${msg.device}|${at}|${metric}|counter:${c.name}` });
  }

  const keyed = episodes.map((e) => ({ e, key: episodeKey(e, reportAt) }));
  await recordEpisodes(db, msg.device, reportedAt, keyed.map(({ e, key }) => ({
    key, cls: e.episodeClass, type: e.type.slice(0, 400), vendorType: e.vendorType.slice(0, 400),
    at: e.at === undefined ? null : new Date(e.at), durationS: e.durationS, therapy: e.therapy, result: e.result.slice(0, 400),
  })));
  for (const { e, key } of keyed) {
    const metric = episodeMetric(e.episodeClass);
    if (metric === null || counted.has(e.episodeClass)) continue;
    readings.push({ device: msg.device, at: toRfc3339(e.at ?? reportAt) ?? at, metric, value: 1, key: `${msg.device}|episode|${key}` });
  }

  await recordObservations(db, msg.device, reportedAt, observations);
  return readings;
}
