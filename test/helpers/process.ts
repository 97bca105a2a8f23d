import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
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

/** Start src/server.ts with the given environment; resolves once /health/ready answers 200. */
export async function startServiceProcess(
  env: Record<string, string | undefined>,
  extraNodeArgs: string[] = [],
  port?: number,
): Promise<ServiceProcess> {
  port ??= await freePort();
  const child = spawn(process.execPath, [...extraNodeArgs, '--import', 'tsx', 'src/server.ts'], {
    env: { ...process.env, MASTER_KEY_FILE: TEST_KEY_FILE, PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}`);
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
