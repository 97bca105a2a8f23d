// connectivity_loss in the service: a periodic look, per site, at each device's newest
// stored reading (event time). The rule itself is the engine's connectivityCheck, each device
// held to its own silence limit (its expected cadence, engine/cadence.ts).
import type { FastifyBaseLogger } from 'fastify';
import { metricById } from '../domain/vocabulary.ts';
import { connectivityCheck, silenceLimit, type EngineConfig, type SilenceLimit } from '../engine/index.ts';
import type { Db } from '../store/db.ts';
import { lastReadings, type LastReading } from '../store/devices.ts';
import { applyEffects, type AlertEventRow, type DecisionRow } from '../store/engine-effects.ts';
import { every } from '../util/every.ts';
import type { SilenceSource } from './cadences.ts';

/** A device's configuration and silence limit, for the devices that may be silent. */
export interface DeviceSilence {
  readonly config: EngineConfig;
  readonly limit: SilenceLimit;
}

const HOUR_MS = 3_600_000;

function bySite(rows: readonly LastReading[]): Map<number, LastReading[]> {
  const out = new Map<number, LastReading[]>();
  for (const r of rows) {
    const list = out.get(r.site_id);
    if (list) list.push(r);
    else out.set(r.site_id, [r]);
  }
  return out;
}

/**
 * Each device's configuration and silence limit. Only a device silent for at least its floor
 * (`connectivity.silentHours`) and no longer arriving can be silent: only those need their
 * cadence; the others are held to the floor.
 */
export async function silenceLimits(rows: readonly LastReading[], source: SilenceSource): Promise<Map<number, DeviceSilence>> {
  const out = new Map<number, DeviceSilence>();
  const candidates: LastReading[] = [];
  for (const list of bySite(rows).values()) {
    const siteTime = Math.max(...list.map((r) => r.at.getTime()));
    for (const r of list) {
      const config = source.configOf(r.device_id, r.site_id);
      const floor = config.connectivity.silentHours;
      out.set(r.device_id, { config, limit: { hours: floor, expectedHours: null, source: 'floor' } });
      if (!r.recent && siteTime - r.at.getTime() >= floor * HOUR_MS) candidates.push(r);
    }
  }
  if (candidates.length === 0) return out;
  const cadences = await source.cadences(candidates);
  for (const r of candidates) {
    const { config } = out.get(r.device_id)!;
    out.set(r.device_id, { config, limit: silenceLimit(cadences.get(r.device_id), config) });
  }
  return out;
}

/**
 * The decisions for devices silent too long. The trigger is the last reading heard, so
 * one silence is one trigger however often it is checked (applied triggers are skipped).
 * A device absent from `limits` is held to `config`'s floor.
 */
export function silenceDecisions(rows: readonly LastReading[], config: EngineConfig, limits: ReadonlyMap<number, DeviceSilence> = new Map()): DecisionRow[] {
  const out: DecisionRow[] = [];
  for (const list of bySite(rows).values()) {
    const lastSeen = new Map(list.map((r) => [String(r.device_id), r.at.getTime()]));
    const siteTime = Math.max(...lastSeen.values());
    const byId = new Map(list.map((r) => [String(r.device_id), r]));
    const limitHours = new Map(list.map((r) => [String(r.device_id), limits.get(r.device_id)?.limit.hours ?? config.connectivity.silentHours]));
    const reporting = list.filter((r) => siteTime - r.at.getTime() < limitHours.get(String(r.device_id))! * HOUR_MS).length;
    for (const s of connectivityCheck(lastSeen, siteTime, config, limitHours)) {
      const r = byId.get(s.device)!;
      // Behind in event time but still arriving: a backlog catching up, not a silence.
      if (r.recent) continue;
      const own = limits.get(r.device_id);
      const expected = own?.limit.expectedHours ?? null;
      out.push({
        deviceId: r.device_id,
        decision: {
          kind: 'connectivity_loss',
          priority: (own?.config ?? config).priorities.connectivity_loss,
          action: 'open',
          trigger: { seq: r.seq, metric: metricById(r.metric)?.name ?? String(r.metric), value: r.value, at: r.at.getTime() },
          summary: `No reading for ${s.silentHours} h while ${reporting} other device${reporting === 1 ? '' : 's'} of the site reported`
            + (expected === null ? '' : `; it transmits about every ${formatInterval(expected)} (${own!.limit.source})`),
          evidence: {
            silentHours: s.silentHours, lastSeenAt: new Date(s.lastSeenAt).toISOString(), siteDevicesReporting: reporting,
            // Only for a device held to its cadence: a daily device's alert reads as it always did.
            ...(expected === null ? {} : { expectedHours: expected, cadence: own!.limit.source }),
          },
          // Not a reading's unusualness: the silence is certain once it is this long.
          score: 1,
        },
      });
    }
  }
  return out;
}

function formatInterval(hours: number): string {
  return hours % 24 === 0 ? `${hours / 24} day${hours === 24 ? '' : 's'}` : `${Math.round(hours * 10) / 10} h`;
}

export interface ConnectivityMonitor {
  /** One check now; resolves with the alert events it wrote. */
  check(): Promise<AlertEventRow[]>;
  stop(): Promise<void>;
}

export function startConnectivityMonitor(
  db: Db,
  config: EngineConfig,
  intervalMs: number,
  log: FastifyBaseLogger,
  onEvents: (events: readonly AlertEventRow[]) => void,
  /** Per-device configurations and cadences; without it every device has `config` and the floor. */
  source?: SilenceSource,
): ConnectivityMonitor {
  // Two checks' worth of wall clock: a device whose readings are still arriving is not silent.
  const graceMs = 2 * intervalMs;
  const check = async (): Promise<AlertEventRow[]> => {
    const rows = await lastReadings(db, graceMs);
    const decisions = silenceDecisions(rows, config, source ? await silenceLimits(rows, source) : undefined);
    if (decisions.length === 0) return [];
    const events = await db.transaction().execute((trx) => applyEffects(trx, { decisions, risks: [], late: [] }));
    if (events.length > 0) onEvents(events);
    return events;
  };
  const loop = every(intervalMs, check, (err) => {
    log.warn({ err: { message: err instanceof Error ? err.message : String(err) } }, 'connectivity check failed; retried later');
  });
  return { check, stop: () => loop.stop() };
}
