import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { finished } from 'node:stream/promises';
import { TEST_KEY_FILE } from './keys.ts';

// The service as a separate OS process, as an operator runs it.

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface ServiceProcess {
  readonly port: number;
  readonly child: ChildProcess;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * A command line that runs `command args` with its soft open-files limit raised to `limit`
 * (never lowered), or to the hard limit when that is lower: a process may raise its soft limit
 * up to the hard one only. /proc/<pid>/limits of the process says what it got.
 */
export function withOpenFiles(limit: number, command: string, args: readonly string[]): [string, string[]] {
  const script = 'n=$1; shift; c=$(ulimit -n); if [ "$c" != unlimited ] && [ "$c" -lt "$n" ]; then ulimit -n "$n" 2>/dev/null || ulimit -n "$(ulimit -Hn)"; fi; exec "$@"';
  return ['/bin/sh', ['-c', script, 'sh', String(limit), command, ...args]];
}

/** The soft and hard open-files limits of a running process (null: unlimited). */
export function openFilesLimit(pid: number): { soft: number | null; hard: number | null } {
  const line = fs.readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
  const [soft, hard] = (line ?? '').slice('Max open files'.length).trim().split(/\s+/);
  const num = (v: string | undefined) => (v === undefined || v === 'unlimited' ? null : Number(v));
  return { soft: num(soft), hard: num(hard) };
}

export interface ServiceProcessOptions {
  /** Raise the service's soft open-files limit to this (up to the hard limit). */
  readonly openFiles?: number;
}

/** Start src/server.ts with the given environment; resolves once /health/ready answers 200. */
export async function startServiceProcess(
  env: Record<string, string | undefined>,
  extraNodeArgs: string[] = [],
  port?: number,
  options: ServiceProcessOptions = {},
): Promise<ServiceProcess> {
  // A port found free can be taken by another test file before the service listens on it
  // (two files run at once): when this helper chose it, it tries another.
  const chosen = port === undefined;
  for (let attempt = 1; ; attempt++) {
    const p = port ?? (await freePort());
    try {
      return await spawnService(env, extraNodeArgs, p, options);
    } catch (err) {
      if (!(chosen && err instanceof PortTaken && attempt < 3)) throw err;
    }
  }
}

class PortTaken extends Error {}

async function spawnService(env: Record<string, string | undefined>, extraNodeArgs: string[], port: number, options: ServiceProcessOptions): Promise<ServiceProcess> {
  const node: [string, string[]] = [process.execPath, [...extraNodeArgs, '--import', 'tsx', 'src/server.ts']];
  const [command, args] = options.openFiles === undefined ? node : withOpenFiles(options.openFiles, ...node);
  const child = spawn(command, args, {
    env: { ...process.env, MASTER_KEY_FILE: TEST_KEY_FILE, PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  // stderr still reaches the test's output; its last lines say why a start failed.
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    process.stderr.write(chunk);
    stderr = (stderr + chunk.toString()).slice(-4096);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  for (;;) {
    if (child.exitCode !== null) {
      await finished(child.stderr!).catch(() => {}); // everything it wrote, read
      if (stderr.includes(`EADDRINUSE: address already in use 127.0.0.1:${port}`)) throw new PortTaken(`port ${port} was taken`);
      throw new Error(`the service exited with ${child.exitCode}`);
    }
    const ok = await fetch(`http://127.0.0.1:${port}/health/ready`).then((r) => r.ok, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    child,
    exited,
    stop: (signal = 'SIGTERM') => {
      child.kill(signal);
      return exited;
    },
  };
}
