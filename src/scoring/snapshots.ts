// Periodic snapshots of device states, so a restart or a late reading replays days of
// readings, not a device's whole history.
import type { FastifyBaseLogger } from 'fastify';
import type { ScoringService } from './service.ts';

export const SNAPSHOT_DEFAULTS = Object.freeze({
  /** Event days between two snapshots of a device. */
  snapshotEveryDays: 7,
  /** Snapshots this many event days older than a device's newest are deleted. */
  snapshotKeepDays: 60,
  /** How often devices due a snapshot are looked for (wall clock). */
  intervalMs: 10_000,
});

export interface SnapshotTimer {
  /** Stop the timer and snapshot every device changed since its last snapshot. */
  stop(): Promise<void>;
}

export function startSnapshots(scoring: ScoringService, intervalMs: number, log: FastifyBaseLogger): SnapshotTimer {
  let running: Promise<unknown> = Promise.resolve();
  const tick = () => {
    running = scoring.snapshot().catch((err: unknown) => {
      log.warn({ err: { message: err instanceof Error ? err.message : String(err) } }, 'engine snapshot failed; retried later');
    });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
      try {
        const n = await scoring.snapshot(true);
        if (n > 0) log.info({ devices: n }, 'engine state saved');
      } catch (err) {
        log.warn({ err: { message: err instanceof Error ? err.message : String(err) } }, 'engine snapshot at shutdown failed; the next start replays from older ones');
      }
      scoring.close();
    },
  };
}
