// Alert events as they commit, for whoever streams them live. Transactions commit in cursor
// order, but two concurrent ones may reach here out of it (their promises settle
// independently): subscribers take an event as a wake-up and read alert_events by cursor, as
// the stream does, never the feed's order.
import type { AlertEventRow } from '../store/engine-effects.ts';

export type AlertListener = (events: readonly AlertEventRow[]) => void;

export class AlertFeed {
  private readonly listeners = new Set<AlertListener>();
  /** Highest cursor published, so a subscriber can tell what it has seen. */
  private last = 0;

  get lastCursor(): number {
    return this.last;
  }

  publish(events: readonly AlertEventRow[]): void {
    if (events.length === 0) return;
    for (const e of events) if (e.cursor > this.last) this.last = e.cursor;
    for (const l of this.listeners) {
      // A listener's failure must not stop the others, nor the writer that published.
      try {
        l(events);
      } catch {
        /* the listener owns its errors */
      }
    }
  }

  subscribe(listener: AlertListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
