import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { startEmbedded, type EmbeddedServer } from '../../src/store/embedded.ts';

/**
 * A PostgreSQL server of the test's own, so the test may crash and restart it
 * (the shared test server, or DATABASE_URL, must stay up for other files).
 */
export class DisposablePg {
  private server: EmbeddedServer | null = null;
  readonly dir: string;
  readonly port = 60000 + Math.floor(Math.random() * 5000);

  constructor() {
    this.dir = fs.mkdtempSync('/var/tmp/telemetry-crash-');
    fs.chmodSync(this.dir, 0o755);
  }

  adminUrl(): string {
    return `postgres://postgres:telemetry-local@127.0.0.1:${this.port}/postgres`;
  }

  async start(): Promise<void> {
    this.server = await startEmbedded(path.join(this.dir, 'pg'), this.port, pino({ level: 'silent' }));
  }

  /** A clean stop (the server's fast shutdown): its clients are disconnected; start() brings it back. */
  async stop(): Promise<void> {
    await this.server?.stop();
    this.server = null;
  }

  /** Immediate shutdown (SIGQUIT): no checkpoint, crash recovery on the next start. */
  async crash(): Promise<void> {
    const pid = Number(fs.readFileSync(path.join(this.dir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(pid, 'SIGQUIT');
    while (alive(pid)) await new Promise((r) => setTimeout(r, 50));
    this.server = null;
  }

  async dispose(): Promise<void> {
    await this.server?.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
