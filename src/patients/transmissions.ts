// A transmission's missing metrics: what the device usually sends against what this one
// carried. "Usually" is what more than half of the device's previous transmissions (the
// last USUAL_OF of them) carried, so a weekly lead check or an event-triggered upload does
// not make every daily one look short. Pure.

/** Previous transmissions of the device looked at, and how many it needs before anything is called missing. */
export const USUAL_OF = 10;
export const USUAL_MIN = 3;

/** Metrics in more than half of `previous` (metric ids per transmission); null with fewer than USUAL_MIN. */
export function usualMetrics(previous: ReadonlyArray<readonly number[]>): Set<number> | null {
  if (previous.length < USUAL_MIN) return null;
  const counts = new Map<number, number>();
  for (const t of previous) for (const m of new Set(t)) counts.set(m, (counts.get(m) ?? 0) + 1);
  return new Set([...counts].filter(([, n]) => n * 2 > previous.length).map(([m]) => m));
}

export interface Sent { readonly key: string; readonly deviceId: number; readonly received: string; readonly metrics: readonly number[] }

/**
 * For each transmission of `page` (any order), the usual metrics it lacked, or null when the
 * device had too few transmissions before it to say. `earlier` holds, per device, its
 * transmissions just before the oldest of the page, oldest first.
 */
export function missingMetrics(page: readonly Sent[], earlier: ReadonlyMap<number, ReadonlyArray<readonly number[]>>): Map<string, number[] | null> {
  const out = new Map<string, number[] | null>();
  const byDevice = new Map<number, Sent[]>();
  for (const t of page) (byDevice.get(t.deviceId) ?? byDevice.set(t.deviceId, []).get(t.deviceId)!).push(t);
  for (const [deviceId, list] of byDevice) {
    // Oldest first: received is microseconds since the epoch as text, compared as numbers.
    list.sort((a, b) => (BigInt(a.received) < BigInt(b.received) ? -1 : BigInt(a.received) > BigInt(b.received) ? 1 : 0));
    const history: Array<readonly number[]> = [...(earlier.get(deviceId) ?? [])];
    for (const t of list) {
      const usual = usualMetrics(history.slice(-USUAL_OF));
      const carried = new Set(t.metrics);
      out.set(t.key, usual === null ? null : [...usual].filter((m) => !carried.has(m)).sort((a, b) => a - b));
      history.push(t.metrics);
    }
  }
  return out;
}
