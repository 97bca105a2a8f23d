// Readings waiting to be batched, and re-batching when the service says frames are too big.
import type { SimReading } from '../types.ts';
import type { PendingBatch } from './resume.ts';

/** FIFO over an array with a moving head: shift() on a big array would be O(n) per call. */
export class ReadingQueue {
  private items: SimReading[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(r: SimReading): void {
    this.items.push(r);
  }

  take(max: number): SimReading[] {
    const out = this.items.slice(this.head, this.head + max);
    this.head += out.length;
    if (this.head > 65_536 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return out;
  }
}

export function splitBatches(batches: readonly PendingBatch[], max: number): PendingBatch[] {
  const out: PendingBatch[] = [];
  for (const b of batches) {
    for (let i = 0; i < b.readings.length; i += max) {
      out.push({ id: `${b.id}.${i / max}`, readings: b.readings.slice(i, i + max), attempts: b.attempts });
    }
  }
  return out;
}
