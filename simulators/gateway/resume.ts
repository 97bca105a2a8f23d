// Deciding, after a reconnect, which unacked batches the service already committed.
import type { SimReading } from '../types.ts';

export interface PendingBatch {
  readonly id: string;
  readings: SimReading[];
  attempts: number;
}

/**
 * `lastSeq` is only a high-water mark: with several batches in flight, a later batch can be
 * committed while an earlier one was not, so "seq <= lastSeq" does not prove a reading is
 * stored. What is sound: batches commit whole, so if the reading (device, lastSeq) sits in
 * exactly one unacked batch and no acked batch ever carried it, that batch was committed.
 * Everything else is resent, which the protocol makes safe (duplicates).
 */
export function committedByStatus(
  candidates: readonly PendingBatch[],
  all: readonly PendingBatch[],
  lastSeq: ReadonlyMap<string, number>,
  ackedMax: ReadonlyMap<string, number>,
): Set<PendingBatch> {
  const holders = new Map<string, Set<PendingBatch>>();
  for (const b of all) {
    for (const r of b.readings) {
      if (lastSeq.get(r.device) !== r.seq) continue;
      if ((ackedMax.get(r.device) ?? -1) >= r.seq) continue;
      const key = `${r.device}\u0000${r.seq}`;
      let set = holders.get(key);
      if (!set) holders.set(key, (set = new Set()));
      set.add(b);
    }
  }
  const out = new Set<PendingBatch>();
  for (const holding of holders.values()) {
    if (holding.size !== 1) continue;
    const [b] = holding;
    if (b && candidates.includes(b)) out.add(b);
  }
  return out;
}
