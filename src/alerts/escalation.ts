// Escalation of open high alerts nobody acknowledged: a periodic look at the database.
// The timer holds no state of its own, so a restarted service carries on where the
// last one stopped (raised_at and escalated_at are the clock).
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../store/db.ts';
import { escalateDue, type AlertEventSink, type LifecycleEventRow } from '../store/alert-lifecycle.ts';
import { every } from '../util/every.ts';
import { loggedError } from '../util/error-message.ts';

export interface EscalationOptions {
  readonly db: Db;
  /** Wall-clock time an open high alert may stay unacknowledged, per escalation. */
  readonly periodMs: number;
  /** How often to look. */
  readonly checkMs: number;
  readonly log: FastifyBaseLogger;
  /** Gets the `escalated` events after commit, in cursor order. */
  readonly feed: AlertEventSink;
  /** Milliseconds since the epoch; injectable so tests need not wait for minutes. */
  readonly now?: () => number;
}

export interface Escalation {
  /** One check now; resolves with the events it wrote (already published). */
  check(): Promise<LifecycleEventRow[]>;
  /** Stop the timer and wait for a check in flight. */
  stop(): Promise<void>;
}

export function startEscalation({ db, periodMs, checkMs, log, feed, now = Date.now }: EscalationOptions): Escalation {
  const check = async (): Promise<LifecycleEventRow[]> => {
    const events = await escalateDue(db, now(), periodMs);
    if (events.length > 0) feed.publish(events);
    return events;
  };
  const loop = every(checkMs, check, (err) => {
    log.warn({ err: loggedError(err) }, 'alert escalation check failed; retried later');
  });
  return { check, stop: () => loop.stop() };
}
