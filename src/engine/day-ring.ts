// Fixed-length rings of daily values. Each slot remembers its day, so a stale slot left by a
// missing day is recognised in O(1) instead of being cleared by a scan. Plain arrays, not typed
// arrays: the device state must survive JSON.stringify / JSON.parse unchanged.
import type { DayRing } from './types.ts';

export function newRing(length: number): DayRing {
  return { days: new Array<number>(length).fill(-1), values: new Array<number>(length).fill(0) };
}

function slot(ring: DayRing, day: number): number {
  return ((day % ring.days.length) + ring.days.length) % ring.days.length;
}

export function ringGet(ring: DayRing, day: number): number | undefined {
  const i = slot(ring, day);
  return ring.days[i] === day ? ring.values[i] : undefined;
}

export function ringSet(ring: DayRing, day: number, value: number): void {
  const i = slot(ring, day);
  ring.days[i] = day;
  ring.values[i] = value;
}

/** Adds to the day's value, starting from 0 when the slot holds another day. */
export function ringAdd(ring: DayRing, day: number, value: number): number {
  const total = (ringGet(ring, day) ?? 0) + value;
  ringSet(ring, day, total);
  return total;
}
