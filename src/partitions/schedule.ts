// The service's partition maintenance: one run at start (in the background: a long archive
// must not hold the start), then one a day. With several instances, one runs it at a time
// (an advisory lock); the others skip that run.
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config/index.ts';
import type { Db } from '../store/db.ts';
import { every } from '../util/every.ts';
import { runMaintenance, type MaintenanceReport } from './maintenance.ts';
import { loggedError } from '../util/error-message.ts';

const DAY_MS = 86_400_000;

export interface PartitionMaintenance {
  /** The run started at start-up (tests wait for it). */
  readonly first: Promise<MaintenanceReport | null>;
  /** Stop the timer and wait for a run in progress. */
  stop(): Promise<void>;
}

export function startPartitionMaintenance(db: Db, config: Config, log: FastifyBaseLogger, intervalMs = DAY_MS): PartitionMaintenance {
  const abort = new AbortController();
  const opts = {
    ...config.partitions,
    signal: abort.signal,
    snapshotEveryDays: config.engine.snapshotEveryDays,
    progress: (line: string) => log.info(`partitions: ${line}`),
  };
  const run = async (): Promise<MaintenanceReport | null> => {
    const report = await runMaintenance(db, opts);
    if (report === null) log.info('partitions: maintenance skipped, another instance is running it');
    else if (report.failures.length > 0 && !abort.signal.aborted) log.warn({ failures: report.failures }, 'partitions: maintenance steps failed; retried on the next run');
    if (report && report.leftInDefault.length > 0) {
      log.warn({ months: report.leftInDefault }, 'partitions: months with many rows wait in readings_default; `npm run admin -- partitions create` moves them');
    }
    return report;
  };
  const onError = (err: unknown) => {
    if (abort.signal.aborted) return;
    log.warn({ err: loggedError(err) }, 'partitions: maintenance failed; retried on the next run');
  };
  const first = run().catch((err: unknown) => {
    onError(err);
    return null;
  });
  const loop = every(intervalMs, run, onError);
  return {
    first,
    async stop() {
      abort.abort();
      await loop.stop();
      await first;
    },
  };
}
