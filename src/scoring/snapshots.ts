// Periodic snapshots of device states, so a restart or a late reading replays days of
// readings, not a device's whole history; and the eviction of idle devices' states.
import type { FastifyBaseLogger } from 'fastify';
import { every } from '../util/every.ts';
import type { ScoringService } from './service.ts';

export const SNAPSHOT_DEFAULTS = Object.freeze({
  /** Snapshots this many event days older than a device's newest are deleted. */
  snapshotKeepDays: 60,
  /** How often devices due a snapshot, and replays that failed, are looked for (wall clock). */
  intervalMs: 1_000,
});

export interface SnapshotTimer {
  /** Stop the timer and snapshot every device changed since its last snapshot. */
  stop(): Promise<void>;
}

export function startSnapshots(scoring: ScoringService, intervalMs: number, stateIdleMs: number, log: FastifyBaseLogger): SnapshotTimer {
  const loop = every(
    intervalMs,
    async () => {
      await scoring.snapshot();
      await scoring.evictIdle(stateIdleMs);
      await scoring.recover();
      await scoring.refreshSettings();
    },
    (err) => {
      log.warn({ err }, 'engine snapshot or replay failed; retried later');
    },
  );
  return {
    async stop() {
      await loop.stop();
      await scoring.drain();
      try {
        const n = await scoring.snapshot(true);
        if (n > 0) log.info({ devices: n }, 'engine state saved');
      } catch (err) {
        log.warn({ err }, 'engine snapshot at shutdown failed; the next start replays from older ones');
      }
      scoring.close();
    },
  };
}
