// runSimulation: generate a cohort and either stream it to the service through simulated
// gateways, paced in simulated time, or write it to an NDJSON file.
import { createCohort, type Cohort, type CohortOptions } from './cohort.ts';
import { GatewayClient } from './gateway/client.ts';
import { GatewayFatalError, checkIngestUrl } from './gateway/errors.ts';
import { FlowControl } from './gateway/flow.ts';
import { LateFlusher } from './gateway/late.ts';
import { planGateways } from './gateway/routing.ts';
import { NdjsonWriter, writeTruth } from './output.ts';
import { Rng } from './prng.ts';
import { DAY_MS, HOUR_MS } from './time.ts';
import type { Transmission } from './types.ts';
import { emptySummary, addGatewayStats, type SimulationSummary } from './summary.ts';

export type Speed = 'max' | 'realtime' | number;

export interface SimulationOptions extends Omit<CohortOptions, 'start'> {
  /** Defaults to `days` before today (UTC midnight), so the run ends about now. */
  readonly start?: string | number | Date;
  /** ws://host/v1/ingest; required unless `out` is given. */
  readonly url?: string;
  /** One gateway key for every site, or a key per site. */
  readonly key?: string | Readonly<Record<string, string>>;
  /** PEM of the CA to trust over wss:// (unset: the system's, plus NODE_EXTRA_CA_CERTS). */
  readonly ca?: string;
  /** Write readings here as NDJSON instead of sending them. */
  readonly out?: string;
  /** Write the ground truth here (JSON, or NDJSON when the name ends in .ndjson). */
  readonly truth?: string;
  /** Simulated seconds per wall second, 'realtime' (1) or 'max' (as fast as acks come). */
  readonly speed?: Speed;
  /** Patients on their own bedside gateway (the first N). */
  readonly gateways?: number;
  /** Relays per site carrying everyone else. */
  readonly relays?: number;
  /** Chance that a device's upload starts a 1-20 h late-flush episode. */
  readonly lateShare?: number;
  readonly maxBatch?: number;
  readonly window?: number;
  /** Readings handed to gateways and not yet acked, across all of them. */
  readonly maxOutstanding?: number;
  /** Ask the service for lastSeq at start and skip what it already holds. */
  readonly resume?: boolean;
  readonly onProgress?: (p: Progress) => void;
  readonly log?: (line: string) => void;
  /** Stop generating, then wait for the acks of what was sent. */
  readonly signal?: AbortSignal;
  /** Close every gateway at once: no reconnecting, no waiting for acks (the service is going away). */
  readonly closeNow?: AbortSignal;
}

export interface Progress {
  readonly simTime: number;
  readonly simDays: number;
  readonly totalDays: number;
  readonly sent: number;
  readonly acked: number;
}

export type { SimulationSummary } from './summary.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function factorOf(speed: Speed): number {
  if (speed === 'max') return Infinity;
  if (speed === 'realtime') return 1;
  if (!(speed > 0)) throw new RangeError(`speed must be 'max', 'realtime' or a positive factor, got ${speed}`);
  return speed;
}

export async function runSimulation(options: SimulationOptions): Promise<SimulationSummary> {
  const t0 = performance.now();
  const startMs = options.start ?? Math.floor(Date.now() / DAY_MS) * DAY_MS - options.days * DAY_MS;
  const factor = factorOf(options.speed ?? 'max');
  if (!options.out) {
    if (!options.url) throw new RangeError('url is required unless out is given');
    checkIngestUrl(options.url);
    if (options.key === undefined) throw new RangeError('key is required to send to the service');
  }
  const cohort = createCohort({ ...options, start: startMs });
  if (options.truth) await writeTruth(options.truth, cohort);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const endMs = cohort.options.start + cohort.options.days * DAY_MS;
  if (!options.out && factor === Infinity && endMs > Date.now() + 24 * HOUR_MS) {
    log(`warning: the run reaches ${new Date(endMs).toISOString()}; the service rejects readings more than 24 h ahead of its clock`);
  }
  // Same seed, separate stream: late flushes never change what the devices measured.
  const late = new LateFlusher(new Rng(`cardiac-sim/${cohort.options.seed}/late`), options.lateShare ?? 0);
  const summary = emptySummary(cohort, options.out ? 'file' : 'send');
  if (options.out) {
    const writer = new NdjsonWriter(options.out);
    try {
      await pump(cohort, late, options, Infinity, async (t) => {
        summary.transmissions++;
        await writer.write(t.readings);
      }, () => ({ sent: writer.written, acked: 0 }));
    } finally {
      await writer.close();
    }
    summary.sent = writer.written;
    summary.readings = writer.written;
  } else {
    await sendAll(cohort, late, options, factor, summary, log);
  }
  summary.lateTransmissions = late.lateTransmissions;
  summary.lateFlushes = late.flushes;
  summary.aborted = (options.signal?.aborted ?? false) || (options.closeNow?.aborted ?? false);
  summary.elapsedMs = Math.round(performance.now() - t0);
  const settled = options.out ? summary.sent : summary.accepted + summary.duplicates + summary.rejected + summary.confirmedByStatus + summary.skippedOnResume;
  summary.readingsPerSecond = Math.round(settled / Math.max(0.001, summary.elapsedMs / 1000));
  return summary;
}

/**
 * Walks the stream in arrival order through the late-flush model, pacing simulated time
 * against the wall clock, and hands each transmission to `deliver`.
 */
async function pump(
  cohort: Cohort,
  late: LateFlusher,
  options: SimulationOptions,
  factor: number,
  deliver: (t: Transmission) => Promise<void> | void,
  counts: () => { sent: number; acked: number },
): Promise<void> {
  const simStart = cohort.options.start;
  const wallStart = performance.now();
  let lastProgress = 0;
  let n = 0;
  const progress = (simTime: number): void => {
    const now = performance.now();
    if (!options.onProgress || now - lastProgress < 100) return;
    lastProgress = now;
    options.onProgress({ simTime, simDays: (simTime - simStart) / DAY_MS, totalDays: cohort.options.days, ...counts() });
  };
  for (const t of cohort.transmissions()) {
    if (options.signal?.aborted || options.closeNow?.aborted) return;
    if (factor !== Infinity) {
      const due = wallStart + (t.sentAt - simStart) / factor;
      const wait = due - performance.now();
      if (wait > 5) await sleep(wait);
    }
    for (const ready of late.push(t, t.sentAt)) await deliver(ready);
    if ((++n & 1023) === 0) progress(t.sentAt);
  }
  for (const ready of late.releaseAll()) await deliver(ready);
  options.onProgress?.({ simTime: simStart + cohort.options.days * DAY_MS, simDays: cohort.options.days, totalDays: cohort.options.days, ...counts() });
}

async function sendAll(
  cohort: Cohort,
  late: LateFlusher,
  options: SimulationOptions,
  factor: number,
  summary: SimulationSummary,
  log: (line: string) => void,
): Promise<void> {
  const url = options.url as string;
  const keyFor = (site: string): string => {
    const k = typeof options.key === 'string' ? options.key : options.key?.[site];
    if (k === undefined) throw new RangeError(`no gateway key for site ${site}`);
    return k;
  };
  const bedside = options.gateways ?? Math.min(10, cohort.patients.length);
  const { gateways, byDevice } = planGateways(cohort.patients, { bedside, relays: options.relays ?? 2 });
  // A replacement generator reports through the patient's gateway, as the one it replaced.
  for (const e of cohort.lifecycle) {
    const gw = e.kind === 'generator_change' && e.replaces !== undefined ? byDevice.get(e.replaces) : undefined;
    if (!gw) continue;
    gw.devices.push(e.device);
    byDevice.set(e.device, gw);
  }
  const flow = new FlowControl(options.maxOutstanding ?? 50_000);
  const clients = new Map(gateways.map((g) => [g, new GatewayClient({
    url, key: keyFor(g.site), name: g.name, flow, log, ...(options.ca ? { ca: options.ca } : {}),
    maxBatch: options.maxBatch ?? (g.style === 'relay' ? 1000 : 200),
    window: options.window ?? 8,
    ...(options.resume === false ? {} : { resumeDevices: g.devices }),
  })]));
  summary.gateways = gateways.length;
  const all = [...clients.values()];
  const checkFatal = (): void => {
    const bad = all.find((c) => c.fatal);
    if (bad?.fatal) throw bad.fatal;
  };
  const counts = (): { sent: number; acked: number } => {
    let sent = 0;
    let acked = 0;
    for (const c of all) {
      sent += c.stats.sent;
      acked += c.stats.accepted + c.stats.duplicates;
    }
    return { sent, acked };
  };
  // closeNow closes every client at once (no reconnecting, no waiting for acks that
  // cannot come); what was not acked is simply not counted as stored.
  const closedNow = new Promise<void>((resolve) => {
    const sig = options.closeNow;
    if (!sig) return;
    const close = () => {
      for (const c of all) void c.close();
      resolve();
    };
    if (sig.aborted) close();
    else sig.addEventListener('abort', close, { once: true });
  });
  try {
    await Promise.race([Promise.all(all.map((c) => c.connect())), closedNow]);
    await pump(cohort, late, options, factor, async (t) => {
      summary.transmissions++;
      const gw = byDevice.get(t.device);
      const client = gw && clients.get(gw);
      if (!client) throw new Error(`no gateway for device ${t.device}`);
      client.enqueue(t.readings);
      while (flow.outstanding >= flow.limit && !options.closeNow?.aborted) {
        await Promise.race([flow.room(), closedNow]);
        checkFatal();
      }
    }, counts);
    await Promise.race([Promise.all(all.map((c) => c.drain())), closedNow]);
  } catch (e) {
    if (e instanceof GatewayFatalError) log(`error: ${e.message}`);
    throw e;
  } finally {
    await Promise.all(all.map((c) => c.close()));
    for (const c of all) addGatewayStats(summary, c.stats);
  }
}
