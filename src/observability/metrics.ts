import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per app instance, so tests can run several apps in one process. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const readings = new Counter({
    name: 'telemetry_readings_total',
    help: 'Readings received, by outcome (accepted, duplicate, rejected) and transport',
    labelNames: ['outcome', 'transport'] as const,
    registers: [registry],
  });
  const batchErrors = new Counter({
    name: 'telemetry_batch_errors_total',
    help: 'Message-level errors sent to gateways, by code',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const commitSeconds = new Histogram({
    name: 'telemetry_commit_seconds',
    help: 'Time to write and commit one group of batches',
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
    registers: [registry],
  });
  const commitFailures = new Counter({
    name: 'telemetry_commit_failures_total',
    help: 'Groups whose transaction failed (nothing of them stored)',
    registers: [registry],
  });
  const socketsOpen = new Gauge({
    name: 'telemetry_ingest_sockets_open',
    help: 'Gateway WebSockets open now',
    registers: [registry],
  });
  const queuedRows = new Gauge({
    name: 'telemetry_ingest_queued_rows',
    help: 'Rows waiting for the next group commit',
    registers: [registry],
  });
  return { registry, readings, batchErrors, commitSeconds, commitFailures, socketsOpen, queuedRows };
}

export type Metrics = ReturnType<typeof createMetrics>;
