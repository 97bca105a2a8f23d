// The engine's part of the service: scoring on the ingest path, snapshots, replays of
// late readings, and the connectivity check. buildApp starts it; the rest of the service
// sees only `scoring` (for IngestService) and `stop`.
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config/index.ts';
import { DEFAULT_CONFIG } from '../engine/index.ts';
import type { Db } from '../store/db.ts';
import type { AlertEventRow } from '../store/engine-effects.ts';
import type { EngineMetrics } from '../observability/metrics.ts';
import { ScoringCadences } from './cadences.ts';
import { startConnectivityMonitor } from './connectivity.ts';
import { ScoringService } from './service.ts';
import { DeviceLeases } from './leases.ts';
import type { Notifications } from '../store/listen.ts';
import { SNAPSHOT_DEFAULTS, startSnapshots } from './snapshots.ts';
import { loggedError } from '../util/error-message.ts';

export interface EngineRuntime {
  /** null when ENGINE_SCORING=off. */
  readonly scoring: ScoringService | null;
  /** Replay what a crash left pending (call once the service is ready). */
  recover(): Promise<void>;
  /** After the writer has drained: finish replays, save snapshots. */
  drain(): Promise<void>;
  /** Apply stored engine settings now (they are also reloaded every second). */
  refreshSettings(): Promise<void>;
  stop(): Promise<void>;
}

export async function startEngine(
  db: Db,
  config: Config,
  log: FastifyBaseLogger,
  publish: (events: readonly AlertEventRow[]) => void,
  notifications: Notifications,
  metrics?: EngineMetrics,
): Promise<EngineRuntime> {
  if (!config.engine.scoring) {
    log.warn('ENGINE_SCORING=off: readings are stored unscored and no alert is raised');
    return { scoring: null, recover: async () => {}, drain: async () => {}, refreshSettings: async () => {}, stop: async () => {} };
  }
  // Several instances may share the database: each device is scored by the one holding its lease.
  const leases = new DeviceLeases(db, notifications, { ttlMs: config.engine.leaseTtlMs, waitMs: config.engine.leaseWaitMs, log });
  await leases.start();
  const scoring = new ScoringService(db, {
    leases,
    retryAfterMs: config.ingest.retryAfterMs,
    config: DEFAULT_CONFIG,
    snapshotEveryDays: config.engine.snapshotEveryDays,
    snapshotKeepDays: SNAPSHOT_DEFAULTS.snapshotKeepDays,
    log,
    onAlertEvents: publish,
    metrics,
  });
  const snapshots = startSnapshots(scoring, SNAPSHOT_DEFAULTS.intervalMs, config.engine.stateIdleMs, log);
  const connectivity = startConnectivityMonitor(
    db, DEFAULT_CONFIG, config.engine.connectivityCheckMs, log, publish, new ScoringCadences(db, scoring),
  );
  return {
    scoring,
    async recover() {
      // Late readings stored before a crash but not yet taken in. A failure here is retried
      // by the snapshot timer; it must not keep the service from starting.
      try {
        await scoring.refreshSettings();
        const n = await scoring.recover();
        if (n > 0) log.info({ devices: n }, 'replayed devices with pending late readings');
      } catch (err) {
        log.warn({ err: loggedError(err) }, 'replay of pending late readings failed; retried later');
      }
    },
    // Every state saved, then every lease let go: another instance takes the devices at once.
    drain: async () => {
      await snapshots.stop();
      await leases.stop().catch((err: unknown) => {
        log.warn({ err: loggedError(err) }, 'releasing device leases failed; other instances take them once this one lapses');
      });
    },
    refreshSettings: async () => {
      await scoring.refreshSettings();
    },
    stop: () => connectivity.stop(),
  };
}
