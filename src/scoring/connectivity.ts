// connectivity_loss in the service: a periodic look, per site, at each device's newest
// stored reading (event time) and the gateway that delivered it. The rule itself is the
// engine's streamConnectivityCheck: each device judged against its gateway's stream, held to
// its own silence limit (its expected cadence, engine/cadence.ts). A gateway delivering
// history (a site onboarding its past, a relay catching up) is left out until it delivers
// current data again: silences in history are stored as past episodes when they end
// (engine-effects.ts), not alerted.
import type { FastifyBaseLogger } from 'fastify';
import { metricById } from '../domain/vocabulary.ts';
import { DEFAULT_CONFIG, silenceLimit, streamConnectivityCheck, type EngineConfig, type SilenceLimit, type StreamLastSeen } from '../engine/index.ts';
import type { Db } from '../store/db.ts';
import { lastReadings, type LastReading } from '../store/devices.ts';
import { applyEffects, type AlertEventRow, type DecisionRow } from '../store/engine-effects.ts';
import { every } from '../util/every.ts';
import type { SilenceSource } from './cadences.ts';
import { loggedError } from '../util/error-message.ts';

/** A device's configuration and silence limit, for the devices that may be silent. */
export interface DeviceSilence {
  readonly config: EngineConfig;
  readonly limit: SilenceLimit;
}

const HOUR_MS = 3_600_000;
/** How long a device whose newest reading arrived as history counts as still arriving, at least. */
const LATE_GRACE_MS = 10_000;

function bySite(rows: readonly LastReading[]): Map<number, LastReading[]> {
  const out = new Map<number, LastReading[]>();
  for (const r of rows) {
    const list = out.get(r.site_id);
    if (list) list.push(r);
    else out.set(r.site_id, [r]);
  }
  return out;
}

const streamOf = (r: LastReading): StreamLastSeen => ({ device: String(r.device_id), gateway: String(r.gateway_id), lastSeenAt: r.at.getTime() });

/**
 * The gateways delivering history rather than now: those whose latest delivery's newest reading
 * was already `connectivity.silentHours` (of `config`, the service's defaults) old when it
 * arrived, while that delivery is less than as long ago (wall clock). Arrival decides, not
 * speed: a year uploaded in two minutes is history until the gateway delivers current
 * readings; a gateway that stopped in the middle of its history is judged again once it has
 * been quiet that long. Only readings that are their device's newest are seen (a late reading
 * is not the stream's newest anyway).
 */
export function replayingGateways(rows: readonly LastReading[], config: EngineConfig, now = Date.now()): Set<string> {
  const latest = new Map<number, { received: number; at: number }>();
  for (const r of rows) {
    const received = r.received_at.getTime();
    const at = r.at.getTime();
    const l = latest.get(r.gateway_id);
    if (!l || received > l.received) latest.set(r.gateway_id, { received, at });
    else if (received === l.received && at > l.at) l.at = at;
  }
  const lagMs = config.connectivity.silentHours * HOUR_MS;
  const out = new Set<string>();
  for (const [gateway, l] of latest) if (l.received - l.at >= lagMs && now - l.received < lagMs) out.add(String(gateway));
  return out;
}

/**
 * Each device's configuration and silence limit. Only a device silent for at least its floor
 * (`connectivity.silentHours`) and no longer arriving can be silent: only those need their
 * cadence; the others are held to the floor.
 */
export async function silenceLimits(
  rows: readonly LastReading[], source: SilenceSource, replaying: ReadonlySet<string> = new Set(),
): Promise<Map<number, DeviceSilence>> {
  const out = new Map<number, DeviceSilence>();
  const candidates: LastReading[] = [];
  for (const list of bySite(rows).values()) {
    const floors = new Map<string, number>();
    for (const r of list) {
      const config = source.configOf(r.device_id, r.site_id);
      const floor = config.connectivity.silentHours;
      out.set(r.device_id, { config, limit: { hours: floor, expectedHours: null, source: 'floor' } });
      floors.set(String(r.device_id), floor);
    }
    const silent = new Set(streamConnectivityCheck(list.map(streamOf), DEFAULT_CONFIG, floors, replaying).silent.map((s) => s.device));
    for (const r of list) if (!r.recent && silent.has(String(r.device_id))) candidates.push(r);
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
export function silenceDecisions(
  rows: readonly LastReading[], config: EngineConfig, limits: ReadonlyMap<number, DeviceSilence> = new Map(),
  replaying: ReadonlySet<string> = replayingGateways(rows, config),
): DecisionRow[] {
  const out: DecisionRow[] = [];
  for (const list of bySite(rows).values()) {
    const byId = new Map(list.map((r) => [String(r.device_id), r]));
    const limitHours = new Map(list.map((r) => [String(r.device_id), limits.get(r.device_id)?.limit.hours ?? config.connectivity.silentHours]));
    const { silent, reporting } = streamConnectivityCheck(list.map(streamOf), config, limitHours, replaying);
    for (const s of silent) {
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
  // A device whose newest reading arrived as history is in a backlog still being delivered
  // for longer: several connections of one gateway may deliver its history at different paces.
  const late = { lateMs: config.connectivity.silentHours * HOUR_MS, graceMs: Math.max(graceMs, LATE_GRACE_MS) };
  const check = async (): Promise<AlertEventRow[]> => {
    const rows = await lastReadings(db, graceMs, late);
    const replaying = replayingGateways(rows, config);
    const decisions = silenceDecisions(rows, config, source ? await silenceLimits(rows, source, replaying) : undefined, replaying);
    if (decisions.length === 0) return [];
    const events = await db.transaction().execute((trx) => applyEffects(trx, { decisions, risks: [], late: [] }));
    if (events.length > 0) onEvents(events);
    return events;
  };
  const loop = every(intervalMs, check, (err) => {
    log.warn({ err: loggedError(err) }, 'connectivity check failed; retried later');
  });
  return { check, stop: () => loop.stop() };
}
