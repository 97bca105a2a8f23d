// The newest alert changes, fetched once for every stream client and kept serialised: with
// many dashboards open, each change costs one query and one JSON.stringify, not one per
// client. A client that is further behind than the cache reaches reads the database itself.
import type { Db } from '../store/db.ts';
import { eventsAfter, lastAlertEventCursor } from '../store/alerts.ts';
import { presentAlert } from './present.ts';

export interface CachedChange {
  readonly cursor: number;
  readonly siteId: number;
  /** The stream message, serialised. */
  readonly message: string;
}

const PAGE = 500;

export class RecentChanges {
  private changes: CachedChange[] = [];
  /** Every change with a cursor above `base`, up to `last`, is in `changes`; null until first loaded. */
  private base: number | null = null;
  private last = 0;
  private running: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly db: Db,
    private readonly keep = 10_000,
  ) {}

  /** The newest cursor fetched: every change up to it is known. */
  get lastCursor(): number {
    return this.last;
  }

  /** Drop the cache; the next refresh starts it again from the newest change. */
  forget(): void {
    this.base = null;
    this.changes = [];
  }

  /** Fetch what committed since the last fetch (coalesces concurrent calls). */
  refresh(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.fetch();
      } while (this.again);
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /**
   * The cached changes after `cursor` for these sites (all when null), or null when the cache
   * does not reach back to `cursor`.
   */
  after(cursor: number, siteIds: readonly number[] | null): CachedChange[] | null {
    if (this.base === null || cursor < this.base) return null;
    let lo = 0;
    let hi = this.changes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.changes[mid]!.cursor <= cursor) lo = mid + 1;
      else hi = mid;
    }
    const out: CachedChange[] = [];
    for (let i = lo; i < this.changes.length; i++) {
      const c = this.changes[i]!;
      if (siteIds === null || siteIds.includes(c.siteId)) out.push(c);
    }
    return out;
  }

  private async fetch(): Promise<void> {
    if (this.base === null) {
      // Start from now: clients further back read the database.
      const last = await lastAlertEventCursor(this.db);
      this.changes = [];
      this.last = last;
      this.base = last;
      return;
    }
    for (;;) {
      const events = await eventsAfter(this.db, this.last, null, PAGE);
      for (const e of events) {
        this.changes.push({
          cursor: e.cursor,
          siteId: e.alert.site_id,
          message: JSON.stringify({
            type: 'alert', alert: presentAlert(e.alert), cursor: e.cursor,
            change: { type: e.type, at: e.at.toISOString(), actor: e.actor },
          }),
        });
        this.last = e.cursor;
      }
      if (this.changes.length > this.keep) {
        const drop = this.changes.length - this.keep;
        this.base = this.changes[drop - 1]!.cursor;
        this.changes = this.changes.slice(drop);
      }
      if (events.length < PAGE) return;
    }
  }
}
