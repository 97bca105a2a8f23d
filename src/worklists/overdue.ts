// Which devices are overdue for a transmission: their newest reading arrived longer ago
// (wall clock) than their silence limit allows, the limit the connectivity check holds
// them to (engine/cadence.ts: the floor, or a multiple of the configured or learnt cadence).
// Pure: the rows, limits and clock come from the caller.
import type { SilenceLimit } from '../engine/index.ts';

const HOUR_MS = 3_600_000;

export interface QuietRow {
  readonly device_id: number;
  readonly received_at: Date;
}

export interface Overdue<T> {
  readonly row: T;
  readonly limit: SilenceLimit;
  /** How long past its limit, in ms. */
  readonly overdueMs: number;
}

/** Whether a device last heard at `receivedAt` may be past a limit of `hours` (its floor first: no cadence is read for the others). */
export const pastHours = (receivedAt: Date, hours: number, now: number): boolean => now - receivedAt.getTime() > hours * HOUR_MS;

/** The rows past their limit (a row without one is held to `fallback`), most overdue first. */
export function overdueRows<T extends QuietRow>(rows: readonly T[], limits: ReadonlyMap<number, SilenceLimit>, fallback: SilenceLimit, now: number): Array<Overdue<T>> {
  const out: Array<Overdue<T>> = [];
  for (const row of rows) {
    const limit = limits.get(row.device_id) ?? fallback;
    const overdueMs = now - row.received_at.getTime() - limit.hours * HOUR_MS;
    if (overdueMs > 0) out.push({ row, limit, overdueMs });
  }
  return out.sort((a, b) => b.overdueMs - a.overdueMs || a.row.device_id - b.row.device_id);
}
