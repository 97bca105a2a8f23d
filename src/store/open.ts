import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import { createDb, type DbHandle } from './db.ts';
import { startEmbedded } from './embedded.ts';

export interface OpenedDatabase extends DbHandle {
  readonly url: string;
  /** Close the pool, then stop the embedded server if this process started it. */
  shutdown(): Promise<void>;
}

/** DATABASE_URL when set; otherwise the embedded PostgreSQL under DATA_DIR. */
export async function openDatabase(config: Config, log: Logger): Promise<OpenedDatabase> {
  let url = config.databaseUrl;
  let stopServer = async () => {};
  if (url === null) {
    const server = await startEmbedded(config.dataDir, config.embeddedPgPort, log);
    url = server.url('postgres');
    stopServer = () => server.stop();
  }
  const handle = createDb(
    {
      url,
      poolSize: config.db.poolSize,
      statementTimeoutMs: config.db.statementTimeoutMs,
      connectTimeoutMs: config.db.connectTimeoutMs,
    },
    log,
  );
  return {
    ...handle,
    url,
    async shutdown() {
      await handle.close();
      await stopServer();
    },
  };
}
