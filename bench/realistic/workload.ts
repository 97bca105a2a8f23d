// The realistic profile's traffic: each bench device replays the year of one simulated
// patient (simulators/, calibrated profile) under a serial of its own, one transmission after
// another in event order. A gateway relays a few devices; now and then it flushes several
// nights at once after being offline, or resends a batch whose ack it lost.
import { createCohort } from '../../simulators/index.ts';
import { Rng } from '../../simulators/prng.ts';

const DAY_MS = 86_400_000;

export interface WorkloadOptions {
  readonly gateways: number;
  readonly devicesPerGateway: number;
  /** Simulated patients whose years the devices replay (device d replays template d % templates). */
  readonly templates: number;
  /** Chance that a gateway's next batch is a late flush of 2–7 nights of each of its devices. */
  readonly lateShare: number;
  /** Chance, after an ack, that the gateway behaves as if it had been lost and resends the batch. */
  readonly resendShare: number;
  readonly seed: string;
}

/** A batch ready to send, with what the bench expects back. */
export interface Frame {
  readonly id: string;
  readonly text: string;
  readonly readings: number;
  /** Readings of the simulator's own repeated transmissions: expected back as duplicates. */
  readonly simDuplicates: number;
}

export interface WorkloadStats {
  lateFlushes: number;
  resends: number;
  resentReadings: number;
  simDuplicateReadings: number;
}

/**
 * The readings of one transmission as ONE string: each reading's JSON after its device name
 * (`","seq":…}`), each preceded by MARK. Kept as a year of such strings rather than a string
 * per reading: the bench's heap then holds ~55,000 objects instead of ~900,000, and its own
 * major garbage collections (which pause its timing of acks) stay short.
 */
interface Night { readonly text: string; readonly count: number; readonly duplicate: boolean }

/** Where a device's name goes: a character no reading's JSON holds. */
const MARK = '\u0000';

function templateYears(options: WorkloadOptions): Night[][] {
  // Ends before today's midnight, so no reading is in the service's future.
  const start = Math.floor(Date.now() / DAY_MS) * DAY_MS - 366 * DAY_MS;
  const cohort = createCohort({ patients: options.templates, days: 365, seed: options.seed, start, profile: 'calibrated' });
  // Without the lifecycle option a patient keeps one serial all year.
  const index = new Map(cohort.patients.map((p, i) => [p.device, i]));
  const years: Night[][] = cohort.patients.map(() => []);
  for (const t of cohort.transmissions()) {
    const text = t.readings.map((r) => `${MARK}","seq":${r.seq},"at":"${r.at}","metric":"${r.metric}","value":${r.value}}`).join('');
    years[index.get(t.device)!]!.push({ text, count: t.readings.length, duplicate: t.duplicate });
  }
  return years;
}

/** One device's place in its year; past the end it starts the year again as `serial.lap`. */
class DeviceCursor {
  private next = 0;
  private lap = 0;
  constructor(private readonly serial: string, private readonly year: readonly Night[]) {}

  private nextNight(): { night: Night; head: string } {
    if (this.next >= this.year.length) {
      this.next = 0;
      this.lap++;
    }
    return { night: this.year[this.next++]!, head: `{"device":"${this.lap === 0 ? this.serial : `${this.serial}.${this.lap}`}` };
  }

  /** The next transmission: its readings as one JSON list's items (`{…},{…}`). */
  take(): { json: string; count: number; duplicate: boolean } {
    const { night, head } = this.nextNight();
    return { json: night.text.replaceAll(MARK, `,${head}`).slice(1), count: night.count, duplicate: night.duplicate };
  }

  /** The next transmission's readings, each as a JSON object. */
  takeEach(): { parts: string[]; duplicate: boolean } {
    const { night, head } = this.nextNight();
    return { parts: night.text.split(MARK).slice(1).map((tail) => head + tail), duplicate: night.duplicate };
  }
}

export class Workload {
  readonly stats: WorkloadStats = { lateFlushes: 0, resends: 0, resentReadings: 0, simDuplicateReadings: 0 };
  readonly devices: number;
  readonly templateReadings: number;
  readonly nightSizes: { min: number; max: number };
  private readonly cursors: DeviceCursor[][];
  private readonly turn: number[];
  private readonly carry: string[][];
  private readonly rng: Rng;
  private batches = 0;

  constructor(private readonly options: WorkloadOptions) {
    const years = templateYears(options);
    this.templateReadings = years.reduce((s, y) => s + y.reduce((n, night) => n + night.count, 0), 0);
    this.nightSizes = years.flat().reduce((m, night) => ({
      min: Math.min(m.min, night.count), max: Math.max(m.max, night.count),
    }), { min: Infinity, max: 0 });
    this.rng = new Rng(`bench-realistic/${options.seed}`);
    let d = 0;
    this.cursors = Array.from({ length: options.gateways }, (_, g) =>
      Array.from({ length: options.devicesPerGateway }, (_, i) => new DeviceCursor(`R${g}-${i}`, years[d++ % years.length]!)));
    this.devices = d;
    this.turn = new Array<number>(options.gateways).fill(0);
    this.carry = Array.from({ length: options.gateways }, () => []);
  }

  private frame(g: number, items: string, readings: number, simDuplicates: number): Frame {
    const id = `${g}-${this.batches++}`;
    return { id, text: `{"type":"readings","id":"${id}","readings":[${items}]}`, readings, simDuplicates };
  }

  /** Gateway g's next upload: one device's night, or (lateShare) a late flush of several nights of all its devices. */
  nightly(g: number): Frame {
    const devices = this.cursors[g]!;
    if (this.rng.chance(this.options.lateShare)) {
      this.stats.lateFlushes++;
      const nights = this.rng.int(2, 7);
      const items: string[] = [];
      let count = 0;
      let dup = 0;
      for (const c of devices) {
        for (let n = 0; n < nights; n++) {
          const t = c.take();
          items.push(t.json);
          count += t.count;
          if (t.duplicate) dup += t.count;
        }
      }
      this.stats.simDuplicateReadings += dup;
      return this.frame(g, items.join(','), count, dup);
    }
    const i = this.turn[g]!;
    this.turn[g] = (i + 1) % devices.length;
    const t = devices[i]!.take();
    const dup = t.duplicate ? t.count : 0;
    this.stats.simDuplicateReadings += dup;
    return this.frame(g, t.json, t.count, dup);
  }

  /** Gateway g's next `size` readings, its devices' nights taken in turn and cut where the batch is full. */
  packed(g: number, size: number): Frame {
    const devices = this.cursors[g]!;
    const buffer = this.carry[g]!;
    let dup = 0;
    while (buffer.length < size) {
      const i = this.turn[g]!;
      this.turn[g] = (i + 1) % devices.length;
      const t = devices[i]!.takeEach();
      // Counted as the simulator's duplicates only when the repeat lands in this batch; close enough for a check.
      if (t.duplicate) dup += t.parts.length;
      buffer.push(...t.parts);
    }
    this.stats.simDuplicateReadings += dup;
    return this.frame(g, buffer.splice(0, size).join(','), size, dup);
  }

  /** Whether the gateway should act as if this batch's ack had been lost. */
  resend(frame: Frame): boolean {
    if (!this.rng.chance(this.options.resendShare)) return false;
    this.stats.resends++;
    this.stats.resentReadings += frame.readings;
    return true;
  }
}
