import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../../src/config/index.ts';
import { buildApp } from '../../src/app.ts';
import { TEST_KEY_FILE } from './keys.ts';
import { TestGateway } from './gateway.ts';
import type { Db } from '../../src/store/db.ts';
import { createGateway, createSite } from '../../src/admin/commands.ts';

export interface RunningService {
  readonly app: FastifyInstance;
  readonly config: Config;
  readonly httpUrl: string;
  readonly wsUrl: string;
  /**
   * A gateway of this service whose `batch` resolves once the batch is answered and the alert
   * decisions committed so far are applied (the ack waits for the readings only).
   */
  gateway(...args: Parameters<typeof TestGateway.open> extends [string, ...infer Rest] ? Rest : never): Promise<TestGateway>;
  close(): Promise<void>;
}

/** The real service on a real loopback port, over the given database. */
export async function startService(
  db: Db,
  databaseUrl: string,
  env: Record<string, string> = {},
  logStream?: { write(line: string): void },
): Promise<RunningService> {
  const config = loadConfig({ PORT: '0', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', DATABASE_URL: databaseUrl, MASTER_KEY_FILE: TEST_KEY_FILE, ...env });
  const app = await buildApp({ config, db, databaseUrl, logStream });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  if (!addr || typeof addr === 'string') throw new Error('no address');
  // With TLS (TLS_CERT_FILE/TLS_KEY_FILE in env), https and wss.
  const s = config.tls.mode === 'off' ? '' : 's';
  return {
    app,
    config,
    httpUrl: `http${s}://127.0.0.1:${addr.port}`,
    wsUrl: `ws${s}://127.0.0.1:${addr.port}/v1/ingest`,
    gateway: async (...args) => {
      const gw = await TestGateway.open(`ws${s}://127.0.0.1:${addr.port}/v1/ingest`, ...args);
      gw.afterReply = () => app.alertApplier.settle();
      return gw;
    },
    close: () => app.close(),
  };
}

let siteCounter = 0;

/** A new site with one gateway; returns the site code and the gateway's key. */
export async function seedGateway(db: Db, site?: string) {
  const code = site ?? `site${++siteCounter}${Math.random().toString(36).slice(2, 6)}`;
  const existing = await db.selectFrom('sites').select('id').where('code', '=', code).executeTakeFirst();
  if (!existing) await createSite(db, code, `Site ${code}`);
  return createGateway(db, code, 'test gateway');
}
