import Fastify, { type FastifyInstance, type FastifyReply, type FastifySchema, type FastifyServerOptions } from 'fastify';
import websocket from '@fastify/websocket';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Config } from './config/index.ts';
import type { Db } from './store/db.ts';
import { createMetrics, type Metrics } from './observability/metrics.ts';
import { installHttpMetrics } from './observability/http-metrics.ts';
import { countAlertEvents, unresolvedAlertCounts } from './observability/alert-metrics.ts';
import { destinationFor, loggerOptions } from './observability/logger.ts';
import { installErrorHandlers } from './http/errors.ts';
import { addErrorSecurityHeaders, installSecurityHeaders } from './http/security-headers.ts';
import { healthRoutes } from './http/health.ts';
import { UpgradeSockets } from './http/upgrades.ts';
import { onWebSocketError } from './http/websocket.ts';
import { GatewayAuthenticator } from './auth/gateways.ts';
import { SessionStore } from './auth/sessions.ts';
import { sessionRoutes } from './auth/routes.ts';
import { GroupCommitWriter } from './ingest/writer.ts';
import { observeWriter } from './observability/writer-metrics.ts';
import { conditionRoutes } from './patients/conditions-routes.ts';
import { deviceEventRoutes } from './patients/device-events-routes.ts';
import { noteRoutes } from './patients/notes-routes.ts';
import { worklistRoutes } from './worklists/routes.ts';
import { ScoringCadences } from './scoring/cadences.ts';
import { openVault } from './crypto/open.ts';
import { sealPlaintext } from './crypto/seal.ts';
import { indexNamesAtStart } from './patients/name-tokens.ts';
import { IngestService } from './ingest/service.ts';
import { GatewayHub } from './ingest/hub.ts';
import { gatewaySocketCap, openFilesLimit, RESERVED_DESCRIPTORS } from './ingest/capacity.ts';
import { VARS } from './config/vars.ts';
import { CLOSE_HANDSHAKE_MS } from './ingest/session.ts';
import { watchRevocations } from './ingest/revocation.ts';
import { Notifications } from './store/listen.ts';
import { DEVICE_SITE_CHANNEL } from './store/registration.ts';
import { gatewayAuthHook, ingestRoutes } from './ingest/routes.ts';
import { idcoRoutes } from './ingest/idco-routes.ts';
import { startMllpServer, type MllpServer } from './ingest/mllp-server.ts';
import { ParseQueue } from './ingest/parse-queue.ts';
import { startEngine } from './scoring/index.ts';
import { AlertFeed } from './alerts/feed.ts';
import { AlertApplier } from './scoring/alert-applier.ts';
import { alertRoutes } from './alerts/routes.ts';
import { lifecycleRoutes } from './alerts/lifecycle-routes.ts';
import { reportRoutes } from './alerts/report-routes.ts';
import { startEscalation } from './alerts/escalation.ts';
import { startPartitionMaintenance } from './partitions/schedule.ts';
import { alertStreamRoutes, STREAM_DEFAULTS, StreamClients } from './alerts/stream.ts';
import { dashboardPlugin } from './dashboard/plugin.ts';
import { patientRoutes } from './patients/routes.ts';
import { recordsRoutes } from './patients/records-routes.ts';
import { engineSettingsRoutes } from './scoring/settings-routes.ts';
import { previewRoutes } from './scoring/preview-routes.ts';
import { exportRoutes } from './export/routes.ts';
import { loadStartupMaterial, secureContextOptions } from './tls/index.ts';
import { HTTPS_HANDSHAKE_MS, installTls } from './tls/install.ts';

/** HL7 messages that may wait for the parser at once; more are answered AR (retry later). */
const IDCO_PARSE_QUEUE = 16;
/** How long the unresolved-alert counts of /metrics may be reused while this instance changes nothing. */
const UNRESOLVED_ALERTS_MAX_AGE_MS = 5000;

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    db: Db;
    metrics: Metrics;
    /** The MLLP listener's port, or null when it is off. */
    mllpPort(): number | null;
    mllpStats(): ReturnType<MllpServer['stats']> | null;
    /** Alert events as they commit, for the live stream. */
    alertFeed: AlertFeed;
    /** The alert outbox's applier: `settle()` applies every decision committed so far. */
    alertApplier: AlertApplier;
    /** Every route registered (method, URL pattern and schema): the authorisation and schema tests walk it. */
    routeTable(): ReadonlyArray<{ method: string; url: string; schema?: FastifySchema }>;
  }
}

export interface AppDeps {
  readonly config: Config;
  readonly db: Db;
  /**
   * Connection string of the LISTEN connection that hears revocations and other instances'
   * changes: a session of its own, so PostgreSQL directly, not a transaction pool.
   */
  readonly databaseUrl: string;
  /** Where log lines go (default stdout); tests read them back. */
  readonly logStream?: { write(line: string): void };
}

/** Build the service: plugins and routes in order, nothing else. Does not listen. */
export async function buildApp({ config, db, databaseUrl, logStream }: AppDeps): Promise<FastifyInstance> {
  // TLS_CERT_FILE/TLS_KEY_FILE or TLS=dev: HTTPS and WSS on the one port (src/tls).
  const tlsMaterial = await loadStartupMaterial(config);
  const app = Fastify({
    ...(tlsMaterial ? { https: { ...secureContextOptions(tlsMaterial), handshakeTimeout: HTTPS_HANDSHAKE_MS } } : {}),
    logger: { ...loggerOptions(config.logLevel), stream: logStream ?? destinationFor(config.logFormat) },
    bodyLimit: config.ingest.maxHttpBodyBytes,
    // Route schemas (TypeBox, src/http/schemas.ts) validate without changing what was sent:
    // an unknown field or a number for a string is refused, never dropped or converted.
    // Query strings stay strings; the routes read their numbers themselves.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
    // Close idle keep-alive connections on shutdown instead of waiting for them.
    forceCloseConnections: 'idle',
    // request.ip is the client's only through proxies the operator named (TRUST_PROXY).
    trustProxy: trustProxyOption(config.trustProxy),
    return503OnClosing: true,
    // A malformed URL (bad percent-encoding) is refused by the router before any route's
    // error handler: answer it from our table too, not with Fastify's own body.
    frameworkErrors: (error, _req, reply) => {
      addErrorSecurityHeaders(reply as FastifyReply);
      void (reply as FastifyReply).code(400).send({ code: 'bad_message', message: error.message });
    },
  });
  const routes: Array<{ method: string; url: string; schema?: FastifySchema }> = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) routes.push({ method, url: r.url, schema: r.schema });
  });
  app.decorate('routeTable', () => routes);
  const metrics = createMetrics();
  app.decorate('config', config);
  app.decorate('db', db);
  app.decorate('metrics', metrics);
  const tlsReloader = installTls(app, config, tlsMaterial);
  // Before any route, so that every route (and the 404 handler) is timed.
  installHttpMetrics(app, metrics);
  // Before any route and the 404 handler, so that every answer passes through it.
  installSecurityHeaders(app);
  installErrorHandlers(app);
  // Ingest takes JSON only (415 otherwise); the IDCO route adds its own HL7 parser.
  app.removeContentTypeParser('text/plain');

  await app.register(swagger, {
    openapi: {
      info: { title: 'Cardiac device telemetry', version: '1.0.0', description: 'Ingest protocol v1 and operations. The WebSocket protocol (GET /v1/ingest) is described in docs/ingest-protocol.md.' },
      components: { securitySchemes: { gatewayKey: { type: 'http', scheme: 'bearer', description: 'gateway key issued by `npm run admin -- gateway create`' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  // Upgrade sockets are cut a second after the sessions' own close deadline once shutdown
  // starts, so one refused while the service stops cannot hold it (src/http/upgrades.ts).
  const upgrades = new UpgradeSockets(app.server, CLOSE_HANDSHAKE_MS + 1000);
  const feed = new AlertFeed();
  const streams = new StreamClients();
  app.decorate('alertFeed', feed);
  // One LISTEN connection for revocations, other instances' alert changes and device
  // handovers; started once every channel is registered (end of this function).
  const notifications = new Notifications(databaseUrl);
  const engine = await startEngine(db, config, app.log, (events) => feed.publish(events), notifications, metrics);
  countAlertEvents(feed, metrics);
  // Alert decisions are committed with their readings and applied here, after the ack.
  const alerts = new AlertApplier(db, {
    log: app.log, publish: (events) => feed.publish(events),
    applied: (seconds) => metrics.alertOutboxSeconds.observe(seconds),
    setAside: () => metrics.alertOutboxSetAside.inc(),
    passed: () => metrics.alertOutboxPasses.inc(),
  });
  app.decorate('alertApplier', alerts);
  metrics.sources.devicesInMemory = () => engine.scoring?.size ?? 0;
  metrics.sources.streamClients = () => streams.size;
  metrics.sources.unresolvedAlerts = unresolvedAlertCounts(db, feed, UNRESOLVED_ALERTS_MAX_AGE_MS);
  // Gateway sockets: INGEST_MAX_SOCKETS, or fewer when the open-files limit would run out first.
  const openFiles = openFilesLimit();
  const reserved = RESERVED_DESCRIPTORS + config.db.poolSize + (config.idco.mllpPort !== null ? config.idco.mllpMaxConnections : 0);
  const socketCap = gatewaySocketCap(config.ingest.maxSockets, reserved, openFiles);
  metrics.socketsMax.set(socketCap.max);
  if (socketCap.byOpenFiles) {
    // A warning when INGEST_MAX_SOCKETS was set above what the limit allows; for the default, news.
    const level = config.ingest.maxSockets === VARS.INGEST_MAX_SOCKETS.def ? 'info' : 'warn';
    app.log[level](
      { maxSockets: socketCap.max, INGEST_MAX_SOCKETS: config.ingest.maxSockets, openFiles, reserved },
      'the open-files limit admits fewer gateway sockets than INGEST_MAX_SOCKETS; raise it (ulimit -n, LimitNOFILE=) to hold more',
    );
  }
  const hub = new GatewayHub(metrics, config.ingest.pingIntervalMs, config.ingest.idleTimeoutMs, socketCap.max);
  const writer: GroupCommitWriter = new GroupCommitWriter(db, config.ingest, observeWriter(metrics, app.log, () => writer.pendingRows, () => alerts.kick()));
  // Identifiers and comments are sealed at rest; anything stored in plain before is sealed now.
  const vault = await openVault(db, config.keys, app.log);
  await sealPlaintext(db, vault, app.log);
  await indexNamesAtStart(db, vault, app.log);
  const service = new IngestService(db, writer, metrics, config.ingest, engine.scoring, Date.now, vault);
  app.addHook('onReady', () => engine.recover());
  const auth = new GatewayAuthenticator(db);
  const revocations = watchRevocations(notifications, db, auth, hub, app.log);
  // A device moved site (`device move`): forget its cached site; everything after a missed notification.
  notifications.on(DEVICE_SITE_CHANNEL, (serial) => service.deviceMoved(serial));
  notifications.onConnect(() => service.deviceMoved(null));

  // HL7 messages of every transport share one parse queue: one parse at a time, a bounded wait.
  const idcoBounds = { maxSegments: config.idco.maxSegments, queue: new ParseQueue(IDCO_PARSE_QUEUE) };
  let mllp: MllpServer | null = null;
  app.decorate('mllpPort', () => mllp?.port() ?? null);
  app.decorate('mllpStats', () => mllp?.stats() ?? null);
  const { mllpPort, mllpGatewayKey } = config.idco;
  if (mllpPort !== null && mllpGatewayKey !== null) {
    app.addHook('onReady', async () => {
      mllp = await startMllpServer({
        host: config.idco.mllpHost,
        port: mllpPort,
        gatewayKey: mllpGatewayKey,
        maxBytes: config.idco.maxMessageBytes,
        allow: config.idco.mllpAllow,
        maxConnections: config.idco.mllpMaxConnections,
        idleMs: config.idco.mllpIdleMs,
        bounds: idcoBounds,
        auth,
        service,
        log: app.log,
        tls: tlsReloader && config.tls.mllp ? { reloader: tlsReloader, clientCert: config.tls.mllpClientCert } : null,
      });
      app.log.info({ port: mllp.port() }, 'HL7 MLLP listener ready');
    });
  }

  await app.register(websocket, {
    options: { maxPayload: config.ingest.maxFrameBytes, perMessageDeflate: false },
    // A peer's protocol fault is logged at info, anything else as an error; the socket is cut.
    errorHandler: (error, socket, req) => onWebSocketError(error, socket, req.log),
    // Shutdown: refuse new frames, commit and ack every batch already received
    // (and queued HTTP and MLLP messages), then close with 1001.
    preClose: async () => {
      const t0 = Date.now();
      const step = (what: string) => app.log.info({ ms: Date.now() - t0 }, `shutdown: ${what}`);
      await mllp?.close();
      await hub.drain(config.ingest.retryAfterMs);
      step('every batch received answered');
      await writer.drain();
      step('write queue drained');
      await alerts.stop();
      step('alert decisions applied');
      hub.closeAll();
      // Dashboards reconnect with ?after= to the next instance; the server waits for no one.
      streams.closeAll();
      // Whatever else holds an upgrade socket (an upgrade refused with 503 since the close
      // began) is cut too; not earlier, so that draining sessions can still be answered.
      upgrades.close();
      // Everything is stored: finish replays and snapshot every changed device.
      await engine.drain();
      // Sockets still open here are closing (cut within CLOSE_HANDSHAKE_MS + 1 s at most).
      app.log.info({ ms: Date.now() - t0, upgradeSockets: upgrades.size }, 'shutdown: engine state saved; closing connections');
    },
  });
  await app.register(healthRoutes, { db, metrics, tls: tlsMaterial !== null });
  const requireGateway = gatewayAuthHook(auth, config.ingest.retryAfterMs);
  await app.register(ingestRoutes, { service, auth, hub, metrics, requireGateway, limits: { maxBatchReadings: config.ingest.maxBatchReadings }, retryAfterMs: config.ingest.retryAfterMs });
  await app.register(idcoRoutes, { service, requireGateway, maxBytes: config.idco.maxMessageBytes, bounds: idcoBounds });
  // Clinician sessions; routes for people take requireUser(sessions, ...roles) as their guard.
  const sessions = new SessionStore(db, config.sessions);
  await app.register(sessionRoutes, { db, sessions });
  await app.register(alertRoutes, { db, sessions, vault });
  // Acknowledge, resolve, assign, snooze, comment; and escalation of unacknowledged high alerts.
  await app.register(lifecycleRoutes, { db, sessions, vault, feed, maxSnoozeMs: config.alerts.maxSnoozeMs });
  await app.register(reportRoutes, { db, sessions });
  const escalation = startEscalation({ db, feed, periodMs: config.alerts.escalationMs, checkMs: config.alerts.escalationCheckMs, log: app.log });
  app.addHook('onClose', () => escalation.stop());
  // Monthly partitions of readings: months made ahead, retention of readings and quarantine.
  const partitions = startPartitionMaintenance(db, config, app.log);
  app.addHook('onClose', () => partitions.stop());
  await app.register(alertStreamRoutes, {
    clients: streams, db, sessions, feed, notifications, ...STREAM_DEFAULTS,
    pollMs: config.alerts.streamPollMs,
    maxBufferedBytes: config.alerts.streamMaxBufferedBytes,
    sessionCheckMs: config.alerts.streamSessionCheckMs,
  });
  await app.register(dashboardPlugin);
  await app.register(patientRoutes, { db, sessions, vault });
  await app.register(recordsRoutes, { db, sessions });
  await app.register(conditionRoutes, { db, sessions, vault });
  await app.register(deviceEventRoutes, { db, sessions, vault, changed: async (ids) => engine.scoring?.lifecycleChanged(ids) });
  await app.register(noteRoutes, { db, sessions, vault });
  await app.register(worklistRoutes, { db, sessions, vault, silence: engine.scoring ? new ScoringCadences(db, engine.scoring) : undefined });
  await app.register(engineSettingsRoutes, { db, sessions, changed: () => engine.refreshSettings() });
  await app.register(previewRoutes, { db, sessions });
  await app.register(exportRoutes, { db, sessions, exportKey: config.export.key, minCell: config.export.minCell, shift: config.export.shift });

  app.addHook('onClose', async () => {
    await alerts.stop();
    await engine.stop();
    revocations.stop();
    await notifications.stop();
  });
  notifications.start();
  return app;
}

/** Fastify's trustProxy: the listed proxies, a hop count, or none. */
function trustProxyOption(trust: string | number | null): FastifyServerOptions['trustProxy'] {
  if (typeof trust === 'number') return (_address: string, hop: number) => hop < trust;
  return trust ?? false;
}
