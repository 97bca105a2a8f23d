import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { haproxyConfig } from '../../deploy/haproxy/config.ts';
import { freePort, startServiceProcess, type ServiceProcess } from './process.ts';

// The deployment of docs/deployment.md on this machine: PgBouncer (deploy/pgbouncer/
// pgbouncer.ini, with local addresses) in front of the test's PostgreSQL, several service
// processes whose pools go through it and whose LISTEN connections do not, and HAProxy
// (deploy/haproxy/config.ts) in front of them. Debian's haproxy and pgbouncer run in the
// foreground as children of the test (test/integration/ensure-haproxy-pgbouncer.sh installs
// them before `npm test`).

const HAPROXY = '/usr/sbin/haproxy';
const PGBOUNCER = '/usr/sbin/pgbouncer';
const DEPLOY_INI = new URL('../../deploy/pgbouncer/pgbouncer.ini', import.meta.url);

/** A child process of the test and the last lines it wrote, for a failure's message. */
interface Daemon {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  output(): string;
}

function daemon(command: string, args: string[]): Daemon {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (chunk: Buffer) => {
    out = (out + chunk.toString()).slice(-8192);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, exited, output: () => out };
}

async function stopDaemon(d: Daemon, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (d.child.exitCode !== null || d.child.signalCode !== null) return;
  d.child.kill(signal);
  const killer = setTimeout(() => d.child.kill('SIGKILL'), 10_000);
  await d.exited;
  clearTimeout(killer);
}

/** Polls `check` until it answers true; throws with `what` (and `detail()`) after `timeoutMs`. */
export async function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000, detail: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}${detail() ? `\n${detail()}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

/** A directory the daemons (which drop root) can read. */
function workDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join('/var/tmp', prefix));
  fs.chmodSync(dir, 0o755);
  return dir;
}

/** Daemons refusing to run as root switch to this user: `postgres` when it exists. */
function unprivilegedUser(): string {
  const passwd = fs.existsSync('/etc/passwd') ? fs.readFileSync('/etc/passwd', 'utf8') : '';
  return /^postgres:/m.test(passwd) ? 'postgres' : 'nobody';
}

// ---------------------------------------------------------------------------------------
// PgBouncer

export interface PgBouncer {
  readonly port: number;
  /** `url` with PgBouncer's address in place of PostgreSQL's (any database name passes). */
  through(url: string): string;
  /** SHOW ... on PgBouncer's admin console (`pgbouncer` database), e.g. `POOLS`. */
  readonly adminUrl: string;
  stop(): Promise<void>;
}

/**
 * deploy/pgbouncer/pgbouncer.ini on a free loopback port, with one wildcard database entry
 * for the server of `directUrl` (so each test's own database passes through) and that URL's
 * user and password in its auth_file.
 */
export async function startPgBouncer(directUrl: string): Promise<PgBouncer> {
  const target = new URL(directUrl);
  const user = decodeURIComponent(target.username || 'postgres');
  const password = decodeURIComponent(target.password);
  const dir = workDir('telemetry-pgbouncer-');
  fs.writeFileSync(path.join(dir, 'userlist.txt'), `"${user}" "${password}"\n`, { mode: 0o644 });
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const ini = localIni(fs.readFileSync(DEPLOY_INI, 'utf8'), {
      host: target.hostname,
      port: target.port || '5432',
      listenPort: port,
      authFile: path.join(dir, 'userlist.txt'),
      // A password to check when the server has one; the server's own trust otherwise.
      authType: password ? 'scram-sha-256' : 'trust',
      adminUser: user,
    });
    const file = path.join(dir, 'pgbouncer.ini');
    fs.writeFileSync(file, ini, { mode: 0o644 });
    const args = process.getuid?.() === 0 ? ['-u', unprivilegedUser(), file] : [file];
    const d = daemon(PGBOUNCER, args);
    const started = await Promise.race([
      waitUntil('PgBouncer accepts connections', () => accepts(port), 15_000).then(() => true),
      d.exited.then(() => false),
    ]);
    if (!started) {
      if (/Address already in use/.test(d.output()) && attempt < 3) continue;
      fs.rmSync(dir, { recursive: true, force: true });
      throw new Error(`PgBouncer did not start:\n${d.output()}`);
    }
    const through = (url: string) => {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    };
    return {
      port,
      through,
      adminUrl: through(new URL('/pgbouncer', directUrl).toString()),
      async stop() {
        await stopDaemon(d, 'SIGINT'); // SIGINT: PgBouncer's safe shutdown
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}

/** The deployed ini with this machine's addresses: its [databases] replaced, its pool settings kept. */
export function localIni(deployed: string, o: { host: string; port: string; listenPort: number; authFile: string; authType: string; adminUser: string }): string {
  const connectQuery = /connect_query='[^']*'/.exec(deployed)?.[0];
  if (!connectQuery) throw new Error('deploy/pgbouncer/pgbouncer.ini sets no connect_query');
  const overrides: Record<string, string> = {
    listen_addr: '127.0.0.1',
    listen_port: String(o.listenPort),
    unix_socket_dir: '',
    auth_type: o.authType,
    auth_file: o.authFile,
    admin_users: o.adminUser,
    logfile: '',
    pidfile: '',
    max_client_conn: '500',
  };
  const out: string[] = [];
  const set = new Set<string>();
  let section = '';
  for (const line of deployed.split('\n')) {
    const header = /^\[(\w+)\]/.exec(line);
    if (header) {
      section = header[1]!;
      out.push(line);
      if (section === 'databases') out.push(`* = host=${o.host} port=${o.port} ${connectQuery}`);
      continue;
    }
    if (section === 'databases' && /^\w/.test(line)) continue; // compose's own entries
    const key = /^(\w+)\s*=/.exec(line)?.[1];
    if (section === 'pgbouncer' && key !== undefined && key in overrides) {
      out.push(`${key} = ${overrides[key]}`);
      set.add(key);
      continue;
    }
    out.push(line);
  }
  if (section !== 'pgbouncer') throw new Error('deploy/pgbouncer/pgbouncer.ini must end with its [pgbouncer] section');
  for (const [key, value] of Object.entries(overrides)) if (!set.has(key)) out.push(`${key} = ${value}`);
  return `${out.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------
// HAProxy

export interface HaproxyServer {
  readonly name: string;
  readonly httpPort: number;
  readonly mllpPort: number | null;
}

export interface ServerStats {
  readonly status: string;
  readonly sessions: number;
  readonly total: number;
}

export interface Haproxy {
  readonly port: number;
  readonly mllpPort: number | null;
  /** Each server of `backend` by HAProxy's stats: `status` (UP, DOWN, UP 1/2, ...), sessions open now and in all. */
  servers(backend?: 'service' | 'mllp'): Promise<Record<string, ServerStats>>;
  /** A command of HAProxy's runtime API (`show servers state`, `show stat`, ...). */
  command(line: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * HAProxy with deploy/haproxy/config.ts's sections for these servers on 127.0.0.1, its
 * runtime API on a socket. Checked every 500 ms, down after 3 failures (a check slowed by a
 * loaded machine does not take an instance out), up after 2 successes.
 */
export async function startHaproxy(servers: readonly HaproxyServer[], opts: { mllp: boolean }): Promise<Haproxy> {
  const dir = workDir('telemetry-haproxy-');
  const socket = path.join(dir, 'admin.sock');
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const mllpPort = opts.mllp ? await freePort() : null;
    const cfg = haproxyConfig({
      httpBind: `127.0.0.1:${port}`,
      mllp: mllpPort === null ? null : { bind: `127.0.0.1:${mllpPort}`, allow: ['127.0.0.0/8'] },
      instances: servers.map((s) => ({ name: s.name, host: '127.0.0.1', httpPort: s.httpPort, mllpPort: s.mllpPort })),
      check: { interMs: 500, fall: 3, rise: 2 },
      statsSocket: socket,
      statsPage: null,
      maxconn: 2000,
      log: false,
    });
    const file = path.join(dir, 'haproxy.cfg');
    fs.writeFileSync(file, cfg);
    fs.rmSync(socket, { force: true });
    const d = daemon(HAPROXY, ['-db', '-f', file]);
    const command = (line: string) => runtimeApi(socket, line);
    const started = await Promise.race([
      waitUntil('HAProxy answers on its socket and port', async () => fs.existsSync(socket) && (await accepts(port)), 15_000).then(() => true),
      d.exited.then(() => false),
    ]);
    if (!started) {
      if (/cannot bind socket|Address already in use/i.test(d.output()) && attempt < 3) continue;
      fs.rmSync(dir, { recursive: true, force: true });
      throw new Error(`HAProxy did not start:\n${d.output()}`);
    }
    return {
      port,
      mllpPort,
      command,
      servers: async (backend = 'service') => serverStats(await command('show stat'), backend),
      async stop() {
        await stopDaemon(d);
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}

/** One command on HAProxy's runtime API socket; HAProxy answers and closes. */
function runtimeApi(socket: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const c = net.connect(socket, () => c.write(`${line}\n`));
    c.on('data', (d) => (out += d.toString()));
    c.on('end', () => resolve(out));
    c.on('error', reject);
  });
}

/** `show stat` (CSV): each server of `backend`, its status and sessions. */
function serverStats(csv: string, backend: string): Record<string, ServerStats> {
  const [header, ...rows] = csv.trim().split('\n');
  const columns = (header ?? '').replace(/^# /, '').split(',');
  const at = (name: string) => columns.indexOf(name);
  const out: Record<string, ServerStats> = {};
  for (const row of rows) {
    const f = row.split(',');
    const sv = f[at('svname')];
    if (f[at('pxname')] !== backend || sv === undefined || sv === 'BACKEND' || sv === 'FRONTEND') continue;
    out[sv] = { status: f[at('status')] ?? '', sessions: Number(f[at('scur')] ?? 0), total: Number(f[at('stot')] ?? 0) };
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// The whole topology

export interface TopologyInstance {
  /** HAProxy's name for it: s1, s2, ... */
  readonly name: string;
  /** The running process (replaced by `restart`). */
  readonly process: ServiceProcess;
  /** The instance itself, not through HAProxy (its /metrics, say). */
  readonly httpUrl: string;
  readonly mllpPort: number | null;
}

export interface TopologyOptions {
  /** The test's database, on PostgreSQL directly (createTestDatabase's url). */
  readonly databaseUrl: string;
  /** Instances behind HAProxy (default 2). */
  readonly instances?: number;
  /** More environment for every instance. */
  readonly env?: Record<string, string | undefined>;
  /** A gateway key: each instance listens for MLLP with it, and HAProxy forwards MLLP. */
  readonly mllpGatewayKey?: string;
}

export interface Topology {
  /** Through HAProxy. */
  readonly httpUrl: string;
  readonly wsUrl: string;
  readonly mllpPort: number | null;
  /** The instances' DATABASE_URL (through PgBouncer) and DATABASE_LISTEN_URL (directly). */
  readonly databaseUrl: string;
  readonly listenUrl: string;
  readonly instances: readonly TopologyInstance[];
  readonly pgbouncer: PgBouncer;
  readonly haproxy: Haproxy;
  instance(name: string): TopologyInstance;
  /** Signal one instance (SIGKILL unless told) and resolve once its process is gone, with its exit code (null when killed). */
  kill(name: string, signal?: NodeJS.Signals): Promise<number | null>;
  /** Start a stopped instance again on its ports; resolves once it is ready (HAProxy may not know yet: `waitFor`). */
  restart(name: string): Promise<void>;
  /** Until HAProxy's health checks have marked the instance UP or DOWN (in the MLLP backend too, with `backend`). */
  waitFor(name: string, state: 'UP' | 'DOWN', opts?: { backend?: 'service' | 'mllp'; timeoutMs?: number }): Promise<void>;
  /** Stop everything: the instances (SIGTERM), HAProxy, PgBouncer. */
  close(): Promise<void>;
}

/**
 * PgBouncer, `instances` service processes (pools through PgBouncer, LISTEN directly), and
 * HAProxy in front; resolves once HAProxy sees every instance up.
 */
export async function startTopology(opts: TopologyOptions): Promise<Topology> {
  const count = opts.instances ?? 2;
  const pgbouncer = await startPgBouncer(opts.databaseUrl);
  const databaseUrl = pgbouncer.through(opts.databaseUrl);
  const instances: Array<TopologyInstance & { env: Record<string, string | undefined> }> = [];
  let haproxy: Haproxy | null = null;
  try {
    const names = Array.from({ length: count }, (_, i) => `s${i + 1}`);
    const mllpPorts = opts.mllpGatewayKey ? await Promise.all(names.map(() => freePort())) : names.map(() => null);
    // One at a time: each start migrates (nothing to do on a test database) and loads the
    // code; at once they would only share the same two cores.
    for (const [i, name] of names.entries()) {
      const mllpPort = mllpPorts[i]!;
      const env = {
        DATABASE_URL: databaseUrl,
        DATABASE_LISTEN_URL: opts.databaseUrl,
        // HAProxy connects from the loopback: believe its X-Forwarded-For.
        TRUST_PROXY: '127.0.0.1',
        ...(mllpPort !== null ? { MLLP_PORT: String(mllpPort), MLLP_GATEWAY_KEY: opts.mllpGatewayKey } : {}),
        ...opts.env,
      };
      const proc = await startServiceProcess(env);
      instances.push({ name, process: proc, env, httpUrl: `http://127.0.0.1:${proc.port}`, mllpPort });
    }
    haproxy = await startHaproxy(instances.map((s) => ({ name: s.name, httpPort: s.process.port, mllpPort: s.mllpPort })), { mllp: opts.mllpGatewayKey !== undefined });
    const h = haproxy;
    const find = (name: string) => {
      const s = instances.find((x) => x.name === name);
      if (!s) throw new Error(`no instance ${name}`);
      return s;
    };
    const waitFor: Topology['waitFor'] = async (name, state, o = {}) => {
      const backend = o.backend ?? 'service';
      let last = '';
      await waitUntil(`HAProxy marks ${name} ${state} in ${backend}`, async () => {
        const s = (await h.servers(backend))[name];
        last = s?.status ?? '(no such server)';
        // "UP 1/2" is up and failing, "DOWN 1/2" down and recovering: only the settled state counts.
        return last === state;
      }, o.timeoutMs ?? 30_000, () => `last status: ${last}`);
    };
    for (const s of instances) {
      await waitFor(s.name, 'UP');
      if (s.mllpPort !== null) await waitFor(s.name, 'UP', { backend: 'mllp' });
    }
    return {
      httpUrl: `http://127.0.0.1:${h.port}`,
      wsUrl: `ws://127.0.0.1:${h.port}/v1/ingest`,
      mllpPort: h.mllpPort,
      databaseUrl,
      listenUrl: opts.databaseUrl,
      get instances() {
        return instances;
      },
      pgbouncer,
      haproxy: h,
      instance: find,
      async kill(name, signal = 'SIGKILL') {
        const s = find(name);
        if (s.process.child.exitCode !== null || s.process.child.signalCode !== null) return s.process.child.exitCode;
        return s.process.stop(signal);
      },
      async restart(name) {
        const s = find(name);
        const i = instances.indexOf(s);
        const proc = await startServiceProcess(s.env, [], s.process.port);
        instances[i] = { ...s, process: proc };
      },
      waitFor,
      close: () => closeAll(instances, h, pgbouncer),
    };
  } catch (err) {
    await closeAll(instances, haproxy, pgbouncer);
    throw err;
  }
}

async function closeAll(instances: readonly TopologyInstance[], haproxy: Haproxy | null, pgbouncer: PgBouncer): Promise<void> {
  // The instances first: they drain through PgBouncer.
  await Promise.all(instances.map(async (s) => {
    const c = s.process.child;
    if (c.exitCode !== null || c.signalCode !== null) return;
    const killer = setTimeout(() => c.kill('SIGKILL'), 30_000);
    await s.process.stop('SIGTERM');
    clearTimeout(killer);
  }));
  await haproxy?.stop();
  await pgbouncer.stop();
}
