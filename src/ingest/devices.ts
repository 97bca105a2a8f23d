import type { Db } from '../store/db.ts';
import { registerDevices } from '../store/devices.ts';
import { holdPending } from '../store/registration.ts';

export interface DeviceRef {
  readonly id: number;
  readonly siteId: number;
}

/**
 * Device serial -> id and site. A device unknown to the service is registered on its first
 * reading to the sending gateway's site when that site's policy is `auto`; under `pending` it
 * is not registered (and not cached: an admin's approval is seen at the next batch). A device
 * moves site only by an admin's `device move`, whose NOTIFY makes the app call `forget` (and
 * `clear` when the LISTEN connection comes back, in case a notification was missed).
 */
export class DeviceRegistry {
  private cache = new Map<string, DeviceRef>();
  // Concurrent batches naming the same new device share one lookup, so a burst of
  // first contacts costs one query per device, not one per batch.
  private pending = new Map<string, Promise<DeviceRef | undefined>>();

  // Bumped by forget/clear: a lookup that began before does not cache what it read.
  private generation = 0;

  constructor(private readonly db: Db) {}

  async resolve(serials: Iterable<string>, siteId: number, gatewayId: number): Promise<Map<string, DeviceRef>> {
    const out = new Map<string, DeviceRef>();
    const waits: Array<Promise<void>> = [];
    const unknown: string[] = [];
    for (const s of serials) {
      const hit = this.cache.get(s);
      if (hit) out.set(s, hit);
      else {
        const p = this.pending.get(s);
        if (p) waits.push(p.then((ref) => void (ref && out.set(s, ref))));
        else unknown.push(s);
      }
    }
    if (unknown.length > 0) {
      unknown.sort(); // the same lock order for concurrent registrations
      const lookup = this.register(unknown, siteId, gatewayId);
      const settled = lookup.finally(() => unknown.forEach((s) => this.pending.delete(s)));
      for (const s of unknown) {
        const one = settled.then((m) => m.get(s));
        one.catch(() => {}); // the batch that started the lookup reports the failure
        this.pending.set(s, one);
      }
      for (const [s, ref] of await settled) out.set(s, ref);
    }
    await Promise.all(waits);
    return out;
  }

  /** Drop a serial's cached site (the device moved). */
  forget(serial: string): void {
    this.generation++;
    this.cache.delete(serial);
  }

  clear(): void {
    this.generation++;
    this.cache.clear();
  }

  /** Count the readings of serials held pending at the gateway's site (none registered). */
  async hold(counts: ReadonlyMap<string, number>, siteId: number, gatewayId: number): Promise<void> {
    await holdPending(this.db, siteId, gatewayId, counts);
  }

  private async register(serials: string[], siteId: number, gatewayId: number): Promise<Map<string, DeviceRef>> {
    const generation = this.generation;
    const rows = await registerDevices(this.db, serials, siteId, gatewayId);
    const out = new Map<string, DeviceRef>();
    for (const r of rows) {
      const ref = { id: r.id, siteId: r.site_id };
      if (this.cache.size < 1_000_000 && generation === this.generation) this.cache.set(r.serial, ref);
      out.set(r.serial, ref);
    }
    return out;
  }
}
