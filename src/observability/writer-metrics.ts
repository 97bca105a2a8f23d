// The group commit's metrics (src/ingest/writer.ts): flush time and queue depth, each batch's
// queue and write stages, failed flushes (logged too).
import type { FastifyBaseLogger } from 'fastify';
import type { WriterObserver } from '../ingest/writer.ts';
import type { Metrics } from './metrics.ts';
import { loggedError } from '../util/error-message.ts';

type WriterMetrics = Pick<Metrics, 'commitSeconds' | 'queuedRows' | 'ingestStageSeconds' | 'commitFailures'>;

/** A writer's observer that records into `metrics`; `decisionsWritten` is passed through. */
export function observeWriter(
  metrics: WriterMetrics, log: FastifyBaseLogger, pendingRows: () => number, decisionsWritten: () => void,
): WriterObserver {
  return {
    flushed: (seconds) => {
      metrics.commitSeconds.observe(seconds);
      metrics.queuedRows.set(pendingRows());
    },
    batchStages: (queued, seconds) => {
      for (const q of queued) {
        metrics.ingestStageSeconds.observe({ stage: 'queue' }, q);
        metrics.ingestStageSeconds.observe({ stage: 'write' }, seconds);
      }
    },
    failed: (err) => {
      metrics.commitFailures.inc();
      log.warn({ err: loggedError(err) }, 'group commit failed; its batches were answered `unavailable`');
    },
    decisionsWritten,
  };
}
