import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmbedded } from '../../src/store/embedded.ts';
import { freePort } from '../helpers/process.ts';

// `npm start` as a person runs it at a terminal: npm, the launcher, the service (the demo:
// simulator included) and its embedded PostgreSQL. A terminal's Ctrl-C is SIGINT to the
// whole foreground process group; here npm is started in a group of its own and the group
// is signalled, as the terminal would.

const dir = fs.mkdtempSync('/var/tmp/telemetry-ctrl-c-');
fs.chmodSync(dir, 0o755);
// Each case on a data directory and PostgreSQL port of its own.
let dataDir: string;
let pgPort: number;

interface Started {
  readonly npm: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Every process writing to npm's stdout and stderr (the service included) has closed them. */
  readonly closed: Promise<void>;
  output(): string;
  /** The JSON log records written so far (stdout is a pipe: JSON, not pretty). */
  records(): Array<Record<string, unknown>>;
}

async function npmStart(): Promise<Started> {
  const port = await freePort();
  const npm = spawn('npm', ['start'], {
    detached: true, // a process group of its own, led by npm, as a terminal's foreground job
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      DATABASE_URL: '',
      DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(pgPort),
      PORT: String(port),
      // As npm start runs by default. PostgreSQL cutting the service's connections shows
      // there as their errors ("terminating connection due to administrator command").
      LOG_LEVEL: 'info',
      LOG_FORMAT: '',
      // Small, and still streaming when the signal comes (400 days at 2 days a second).
      DEMO_PATIENTS: '20',
      DEMO_DAYS: '400',
      DEMO_SPEED: '172800',
    },
  });
  let out = '';
  npm.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  npm.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    npm.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const closed = new Promise<void>((resolve) => npm.once('close', () => resolve()));
  const started: Started = {
    npm,
    exited,
    closed,
    output: () => out,
    records: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
  for (;;) {
    if (npm.exitCode !== null || npm.signalCode !== null) throw new Error(`npm start ended before it was ready:\n${out}`);
    if (await fetch(`http://127.0.0.1:${port}/health/ready`).then((r) => r.ok, () => false)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  // Readings are flowing: some are stored.
  const db = new pg.Client({ connectionString: `postgres://postgres:telemetry-local@127.0.0.1:${pgPort}/postgres` });
  await db.connect();
  try {
    while (((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM readings')).rows[0]!.n) === 0) {
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await db.end();
  }
  return started;
}

/** Running, that is: not exited (an exited orphan may stay a zombie where PID 1 does not reap). */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

const postmasterPid = () => Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);

beforeEach(async () => {
  const caseDir = fs.mkdtempSync(path.join(dir, 'case-'));
  fs.chmodSync(caseDir, 0o755); // PostgreSQL, as the postgres user when root, must reach its directory
  dataDir = path.join(caseDir, 'data', 'pg');
  pgPort = await freePort();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('npm start at a terminal', () => {
  it('stops once and in order on Ctrl-C: the service drains and saves its engine state, then PostgreSQL stops', async () => {
    const run = await npmStart();
    const postgres = postmasterPid();
    const signalledAt = new Date();
    process.kill(-run.npm.pid!, 'SIGINT');
    const { code, signal } = await run.exited;
    await run.closed;
    const out = run.output();

    expect({ code, signal }).toEqual({ code: 0, signal: null });
    const records = run.records();
    const messages = records.map((r) => r.msg);
    // One orderly stop, ending with `stopped`, and PostgreSQL never cut the service's connections.
    expect(messages.filter((m) => m === 'shutting down: flushing and acking what is committed')).toHaveLength(1);
    expect(messages.at(-1)).toBe('stopped');
    expect(out).not.toContain('terminating connection due to administrator command');
    // The one warning of the demo: TLS is off (it is opt-in, TLS=dev), said once at start.
    expect(records.filter((r) => typeof r.level === 'number' && r.level >= 40).map((r) => r.msg)).toEqual([expect.stringMatching(/^TLS is off: /)]);
    // The engine state saved at shutdown, its count written as a number.
    const saved = records.find((r) => r.msg === 'engine state saved');
    expect(saved?.devices).toBeGreaterThan(0);
    // PostgreSQL stopped cleanly (it removes its pid file), and nothing was left behind.
    expect(alive(postgres)).toBe(false);
    expect(fs.existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(false);

    // The snapshots are in the database: open the data directory again and look.
    const server = await startEmbedded(dataDir, pgPort, pino({ level: 'silent' }));
    const client = new pg.Client({ connectionString: server.url('postgres') });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM engine_snapshots WHERE saved_at >= $1', [signalledAt]);
      expect(rows[0]!.n).toBeGreaterThanOrEqual(saved!.devices as number);
    } finally {
      await client.end();
      await server.stop();
    }
  }, 120_000);

  it('leaves no PostgreSQL running when the service process is killed', async () => {
    const run = await npmStart();
    const postgres = postmasterPid();
    const service = run.records().find((r) => r.msg === 'service listening')!.pid as number;
    expect(alive(postgres)).toBe(true);
    process.kill(service, 'SIGKILL');
    const { code } = await run.exited;
    await run.closed;
    expect(code).not.toBe(0);
    expect(run.output()).toContain('launcher: the service was killed by SIGKILL');
    // The launcher exits only once the service's process group is empty.
    expect(alive(postgres)).toBe(false);
  }, 120_000);

  it('stops the service in order when the launcher itself is killed', async () => {
    const run = await npmStart();
    const postgres = postmasterPid();
    const service = run.records().find((r) => r.msg === 'service listening')!.pid as number;
    // npm's child is the launcher (the start script execs it).
    const launcher = childOf(run.npm.pid!);
    expect(launcher).not.toBeNull();
    process.kill(launcher!, 'SIGKILL');
    await run.exited;
    await run.closed; // the service held npm's stdout until it exited
    expect(alive(service)).toBe(false);
    const messages = run.records().map((r) => r.msg);
    const tail = run.output().slice(-3000);
    expect(messages, tail).toContain('engine state saved');
    expect(messages.at(-1), tail).toBe('stopped');
    expect(alive(postgres)).toBe(false);
  }, 120_000);
});

/** The pid of a process's only child, from /proc. */
function childOf(pid: number): number | null {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) return Number(entry);
    } catch {
      /* gone */
    }
  }
  return null;
}
