// Late flushes: a device's link to its gateway drops for a while, its uploads queue up, and
// the whole queue arrives late, behind other devices' newer readings but in its own seq order.
import type { Rng } from '../prng.ts';
import { MINUTE_MS } from '../time.ts';
import type { Transmission } from '../types.ts';

interface Hold { until: number; items: Transmission[] }

export class LateFlusher {
  private readonly holds = new Map<string, Hold>();
  lateTransmissions = 0;
  flushes = 0;

  constructor(private readonly rng: Rng, private readonly share: number) {}

  /**
   * Takes the next transmission in arrival order; returns what reaches the gateway by `now`.
   * Holds last 1-20 h, so with nightly uploads the device's silence stays under the 48 h a
   * connectivity alert needs.
   */
  push(t: Transmission, now: number): Transmission[] {
    const out = this.release(now);
    const hold = this.holds.get(t.device);
    if (hold) {
      hold.items.push(t);
      this.lateTransmissions++;
    } else if (this.share > 0 && !t.duplicate && t.sentAt === t.atMs && this.rng.chance(this.share)) {
      this.holds.set(t.device, { until: now + this.rng.int(60, 20 * 60) * MINUTE_MS, items: [t] });
      this.lateTransmissions++;
    } else {
      out.push(t);
    }
    return out;
  }

  release(now: number): Transmission[] {
    const out: Transmission[] = [];
    for (const [device, hold] of this.holds) {
      if (hold.until > now) continue;
      this.holds.delete(device);
      this.flushes++;
      out.push(...hold.items);
    }
    return out;
  }

  releaseAll(): Transmission[] {
    return this.release(Infinity);
  }
}

