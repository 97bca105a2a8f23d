// connectivity_loss in the service: a periodic look, per site, at each device's newest
// stored reading (event time). The rule itself is the engine's connectivityCheck.
import type { FastifyBaseLogger } from 'fastify';
import { metricById } from '../domain/vocabulary.ts';
import { connectivityCheck, type EngineConfig } from '../engine/index.ts';
import type { Db } from '../store/db.ts';
import { lastReadings, type LastReading } from '../store/devices.ts';
import { applyEffects, type AlertEventRow, type DecisionRow } from '../store/engine-effects.ts';
import { every } from '../util/every.ts';

/**
 * The decisions for devices silent too long. The trigger is the last reading heard, so
 * one silence is one trigger however often it is checked (applied triggers are skipped).
 */
export function silenceDecisions(rows: readonly LastReading[], config: EngineConfig): DecisionRow[] {
  const bySite = new Map<number, LastReading[]>();
  for (const r of rows) {
    const list = bySite.get(r.site_id);
    if (list) list.push(r);
    else bySite.set(r.site_id, [r]);
  }
  const out: DecisionRow[] = [];
  for (const list of bySite.values()) {
    const lastSeen = new Map(list.map((r) => [String(r.device_id), r.at.getTime()]));
    const siteTime = Math.max(...lastSeen.values());
    const byId = new Map(list.map((r) => [String(r.device_id), r]));
    const reporting = list.filter((r) => siteTime - r.at.getTime() < config.connectivity.silentHours * 3_600_000).length;
    for (const s of connectivityCheck(lastSeen, siteTime, config)) {
      const r = byId.get(s.device)!;
      // Behind in event time but still arriving: a backlog catching up, not a silence.
      if (r.recent) continue;
      out.push({
        deviceId: r.device_id,
        decision: {
          kind: 'connectivity_loss',
          priority: config.priorities.connectivity_loss,
          action: 'open',
          trigger: { seq: r.seq, metric: metricById(r.metric)?.name ?? String(r.metric), value: r.value, at: r.at.getTime() },
          summary: `No reading for ${s.silentHours} h while ${reporting} other device${reporting === 1 ? '' : 's'} of the site reported`,
          evidence: { silentHours: s.silentHours, lastSeenAt: new Date(s.lastSeenAt).toISOString(), siteDevicesReporting: reporting },
          // Not a reading's unusualness: the silence is certain once it is this long.
          score: 1,
        },
      });
    }
  }
  return out;
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
): ConnectivityMonitor {
  // Two checks' worth of wall clock: a device whose readings are still arriving is not silent.
  const graceMs = 2 * intervalMs;
  const check = async (): Promise<AlertEventRow[]> => {
    const decisions = silenceDecisions(await lastReadings(db, graceMs), config);
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
