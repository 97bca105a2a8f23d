// UK civil time without a time-zone library: GMT, or BST (UTC+1) from 01:00 UTC on the last
// Sunday of March to 01:00 UTC on the last Sunday of October (Summer Time Order 2002).
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../time.ts';

/** 01:00 UTC on the last Sunday of `month` (0-based) of `year`. */
export function lastSundayOneAmUtc(year: number, month: number): number {
  const lastDay = Date.UTC(year, month + 1, 0);
  const back = new Date(lastDay).getUTCDay();
  return lastDay - back * DAY_MS + HOUR_MS;
}

/** Minutes to add to UTC to get London local time at `utcMs`: 0 or 60. */
export function londonOffsetMinutes(utcMs: number): number {
  const year = new Date(utcMs).getUTCFullYear();
  const from = lastSundayOneAmUtc(year, 2);
  const to = lastSundayOneAmUtc(year, 9);
  return utcMs >= from && utcMs < to ? 60 : 0;
}

/**
 * The UTC instant of `localMinute` after local midnight on the UTC day starting `dayStartUtc`.
 * A local time skipped by the spring change maps an hour early, as a device clock would.
 */
export function londonLocalToUtc(dayStartUtc: number, localMinute: number): number {
  const naive = dayStartUtc + localMinute * MINUTE_MS;
  const guess = naive - londonOffsetMinutes(naive) * MINUTE_MS;
  return naive - londonOffsetMinutes(guess) * MINUTE_MS;
}
