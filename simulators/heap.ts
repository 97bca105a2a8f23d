// A binary min-heap of transmissions by (sentAt, insertion order): the stream's merge buffer.
import type { Transmission } from './types.ts';

interface Entry { readonly t: Transmission; readonly n: number }

const before = (a: Entry, b: Entry): boolean => a.t.sentAt < b.t.sentAt || (a.t.sentAt === b.t.sentAt && a.n < b.n);

export class TransmissionHeap {
  private readonly items: Entry[] = [];
  private counter = 0;

  get size(): number {
    return this.items.length;
  }

  peek(): Transmission | undefined {
    return this.items[0]?.t;
  }

  push(t: Transmission): void {
    const items = this.items;
    items.push({ t, n: this.counter++ });
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i] as Entry, items[parent] as Entry)) break;
      [items[i], items[parent]] = [items[parent] as Entry, items[i] as Entry];
      i = parent;
    }
  }

  pop(): Transmission | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top?.t;
    items[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < items.length && before(items[l] as Entry, items[m] as Entry)) m = l;
      if (r < items.length && before(items[r] as Entry, items[m] as Entry)) m = r;
      if (m === i) break;
      [items[i], items[m]] = [items[m] as Entry, items[i] as Entry];
      i = m;
    }
    return top.t;
  }
}
