import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ALERT_KINDS } from '../domain/alert-kinds.ts';

// Every metric of the service is defined here, so that the Grafana dashboard can be checked
// against one registry (test/unit/observability/dashboard.test.ts) and docs/metrics.md
// has one place to follow. Labels take values from fixed vocabularies only (methods,
// route patterns, status classes, alert kinds, priorities, outcomes): never a patient,
// device, person or alert identifier.

export const PRIORITIES = ['low', 'medium', 'high'] as const;
/** Statuses of an alert not yet resolved. */
export const UNRESOLVED_STATUSES = ['open', 'acknowledged'] as const;
export const DECISION_ACTIONS = ['open', 'update'] as const;
/** What became of a reading in the engine (see telemetry_engine_readings_total's help). */
export const ENGINE_READING_OUTCOMES = ['scored', 'late', 'replayed', 'reloaded'] as const;
/** Where a batch's time goes, from the service taking it to its commit (see telemetry_ingest_stage_seconds). */
export const INGEST_STAGES = ['admit', 'turn', 'score', 'queue', 'write', 'total'] as const;

export interface UnresolvedCount {
  readonly priority: string;
  readonly status: string;
  readonly count: number;
}

/**
 * What the gauges read when scraped; buildApp fills these in once the parts exist. A gauge
 * whose source is missing reports nothing (no series) rather than a made-up zero.
 */
export interface MetricSources {
  devicesInMemory?: () => number;
  streamClients?: () => number;
  /** Counts of unresolved alerts; may be cached by the source (it queries the database). */
  unresolvedAlerts?: () => Promise<readonly UnresolvedCount[]>;
}

/** One registry per app instance, so tests can run several apps in one process. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const sources: MetricSources = {};
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
    help: 'Time to write and commit one group of batches (one statement: readings, quarantine and the engine\'s effects)',
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
    registers: [registry],
  });
  const alertOutboxSeconds = new Histogram({
    name: 'telemetry_alert_outbox_seconds',
    help: 'Time from the commit of readings that raised alert decisions to the commit of those alerts (the outbox\'s applier)',
    buckets: [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30],
    registers: [registry],
  });
  const alertOutboxPasses = new Counter({
    name: 'telemetry_alert_outbox_passes_total',
    help: 'Passes of the alert outbox\'s applier (one transaction each, however many groups it applied)',
    registers: [registry],
  });
  const alertOutboxSetAside = new Counter({
    name: 'telemetry_alert_outbox_set_aside_total',
    help: 'Groups of alert decisions left in alert_outbox after repeated failures to apply: alerts not raised until an operator acts',
    registers: [registry],
  });
  const ingestStageSeconds = new Histogram({
    name: 'telemetry_ingest_stage_seconds',
    help: 'Time of each stored batch in each stage: admit (budget, validation, device lookups), turn (waiting for the ' +
      "gateway's batch before it to be scored), score (device states loaded or leased, scoring), queue (waiting for a " +
      'group commit), write (its group commit), total (taken to committed)',
    labelNames: ['stage'] as const,
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2, 5],
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
  const socketsMax = new Gauge({
    name: 'telemetry_ingest_sockets_max',
    help: 'Gateway WebSockets this instance admits at once (INGEST_MAX_SOCKETS, or less under the open-files limit)',
    registers: [registry],
  });
  const queuedRows = new Gauge({
    name: 'telemetry_ingest_queued_rows',
    help: 'Rows waiting for the next group commit',
    registers: [registry],
  });

  // HTTP: every answered request but WebSocket upgrades (see installHttpMetrics).
  const httpSeconds = new Histogram({
    name: 'telemetry_http_request_duration_seconds',
    help: 'Time from request received to response sent, by method, route pattern (never the raw URL) and status class',
    labelNames: ['method', 'route', 'status_class'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const httpInFlight = new Gauge({
    name: 'telemetry_http_requests_in_flight',
    help: 'HTTP requests received and not yet answered (WebSocket upgrades excluded)',
    registers: [registry],
  });

  // Alerts: counted as their events commit on this instance (sum over instances).
  const alertsOpened = new Counter({
    name: 'telemetry_alerts_opened_total',
    help: 'Alerts opened, by kind and priority at opening',
    labelNames: ['kind', 'priority'] as const,
    registers: [registry],
  });
  const alertsEscalated = new Counter({
    name: 'telemetry_alerts_escalated_total',
    help: 'Escalations of open high alerts nobody acknowledged (one per alert per escalation period)',
    registers: [registry],
  });
  const alertsAcknowledged = new Counter({
    name: 'telemetry_alerts_acknowledged_total',
    help: 'Alerts acknowledged by a clinician',
    registers: [registry],
  });
  const alertsResolved = new Counter({
    name: 'telemetry_alerts_resolved_total',
    help: 'Alerts resolved by a clinician',
    registers: [registry],
  });
  const alertsUnresolved = new Gauge({
    name: 'telemetry_alerts_unresolved',
    help: 'Alerts not resolved, by priority and status (open: waiting for acknowledgement; acknowledged). Read from the database, the same on every instance',
    labelNames: ['priority', 'status'] as const,
    registers: [registry],
    async collect() {
      if (!sources.unresolvedAlerts) return;
      let counts: readonly UnresolvedCount[];
      try {
        counts = await sources.unresolvedAlerts();
      } catch {
        // The database is away: no series rather than stale ones (a scrape must not fail).
        this.reset();
        return;
      }
      for (const priority of PRIORITIES) for (const status of UNRESOLVED_STATUSES) this.set({ priority, status }, 0);
      for (const c of counts) this.set({ priority: c.priority, status: c.status }, c.count);
    },
  });
  const streamClients = new Gauge({
    name: 'telemetry_alert_stream_clients',
    help: 'Dashboard live alert streams (GET /v1/alerts/stream WebSockets) connected now',
    registers: [registry],
    collect() {
      if (sources.streamClients) this.set(sources.streamClients());
    },
  });

  // Engine.
  const engineDevices = new Gauge({
    name: 'telemetry_engine_devices_in_memory',
    help: 'Devices whose engine state is held in memory (idle ones leave after ENGINE_STATE_IDLE_MS)',
    registers: [registry],
    collect() {
      if (sources.devicesInMemory) this.set(sources.devicesInMemory());
    },
  });
  const engineDecisions = new Counter({
    name: 'telemetry_engine_decisions_total',
    help: 'Alert decisions of the engine on readings as they arrive (committed with them), by kind and action (open: no alert of the kind held; update: one held)',
    labelNames: ['kind', 'action'] as const,
    registers: [registry],
  });
  const engineReadings = new Counter({
    name: 'telemetry_engine_readings_total',
    help: 'Readings through the engine, by outcome: scored (in order, scored before being written), late (new but stored out of event-time order: owed a replay), replayed (taken in again by a replay of late readings), reloaded (taken in again when a state is rebuilt from its snapshot: device first seen since start or idle, or after a failed write)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });

  // Series that exist from the start, so that rates and absent() work before the first event.
  for (const kind of ALERT_KINDS) {
    for (const priority of PRIORITIES) alertsOpened.inc({ kind, priority }, 0);
    for (const action of DECISION_ACTIONS) engineDecisions.inc({ kind, action }, 0);
  }
  for (const outcome of ENGINE_READING_OUTCOMES) engineReadings.inc({ outcome }, 0);

  return {
    registry, sources, readings, batchErrors, commitSeconds, alertOutboxSeconds, alertOutboxSetAside, alertOutboxPasses, ingestStageSeconds, commitFailures, socketsOpen, socketsMax, queuedRows,
    httpSeconds, httpInFlight,
    alertsOpened, alertsEscalated, alertsAcknowledged, alertsResolved, alertsUnresolved, streamClients,
    engineDevices, engineDecisions, engineReadings,
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** The engine's counters, for the scoring service (which knows nothing else of metrics). */
export type EngineMetrics = Pick<Metrics, 'engineDecisions' | 'engineReadings'>;
