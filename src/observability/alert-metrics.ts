// Alert counters from the alert feed, and the count of unresolved alerts for the gauge.
// Every alert event committed by this instance passes through the feed once (the engine's
// openings, replays, the connectivity check, clinicians' transitions, escalation), so the
// counters are per instance; other instances' events are theirs to count.
import type { AlertFeed } from '../alerts/feed.ts';
import { unresolvedAlertCounts as countUnresolved } from '../store/alerts.ts';
import type { Db } from '../store/db.ts';
import type { Metrics, UnresolvedCount } from './metrics.ts';

type AlertCounters = Pick<Metrics, 'alertsOpened' | 'alertsEscalated' | 'alertsAcknowledged' | 'alertsResolved'>;

/** Count alert events as they are published; returns the unsubscribe. */
export function countAlertEvents(feed: AlertFeed, metrics: AlertCounters): () => void {
  return feed.subscribe((events) => {
    for (const e of events) {
      switch (e.type) {
        case 'opened':
          metrics.alertsOpened.inc({ kind: e.kind ?? 'unknown', priority: e.priority ?? 'unknown' });
          break;
        case 'escalated':
          metrics.alertsEscalated.inc();
          break;
        case 'acknowledged':
          metrics.alertsAcknowledged.inc();
          break;
        case 'resolved':
          metrics.alertsResolved.inc();
          break;
        default:
          break;
      }
    }
  });
}

/**
 * The unresolved alerts by priority and status: one GROUP BY over the unresolved alerts
 * (the partial index of open alerts). The result is kept until this instance publishes an
 * alert event or `maxAgeMs` passes (another instance's changes), so however often Prometheus
 * or anyone else scrapes, a quiet service runs the query once per `maxAgeMs`; concurrent
 * scrapes share one query.
 */
export function unresolvedAlertCounts(db: Db, feed: AlertFeed, maxAgeMs: number, now: () => number = Date.now): () => Promise<readonly UnresolvedCount[]> {
  let cached: { at: number; counts: readonly UnresolvedCount[] } | null = null;
  let running: { generation: number; query: Promise<readonly UnresolvedCount[]> } | null = null;
  // Bumped by every event: a query that began before one is neither kept nor shared.
  let generation = 0;
  feed.subscribe(() => {
    generation++;
    cached = null;
  });
  return () => {
    if (cached && now() - cached.at < maxAgeMs) return Promise.resolve(cached.counts);
    if (running?.generation === generation) return running.query;
    const started = generation;
    const query = countUnresolved(db)
      .then((rows) => {
        if (generation === started) cached = { at: now(), counts: rows };
        return rows;
      })
      .finally(() => {
        if (running?.query === query) running = null;
      });
    running = { generation: started, query };
    return query;
  };
}
