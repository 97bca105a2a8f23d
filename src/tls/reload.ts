// A renewed certificate served without a restart. The files are polled (fs.watchFile: it
// follows a file replaced by rename or a symlink swapped, as certbot and Kubernetes secrets
// do, where an inotify watch on the old inode would go quiet); a change is loaded once the
// files have been quiet for one more poll, so a certificate and key written one after the
// other are read together. A pair that does not load is logged and the old context kept:
// the next change is tried again. Each listener's setSecureContext applies to connections
// made from then on; those open keep the certificate they were made with.
import fs from 'node:fs';
import type tls from 'node:tls';
import type { FastifyBaseLogger } from 'fastify';
import { loadTlsMaterial, secureContextOptions, type TlsFiles, type TlsMaterial } from './material.ts';

export interface SecureContextTarget {
  setSecureContext(options: tls.SecureContextOptions): void;
}

/** A certificate expiring this soon is warned about at start and at each reload. */
const EXPIRY_WARNING_MS = 14 * 86_400_000;

export class TlsReloader {
  private readonly targets = new Set<SecureContextTarget>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();
  private watching = false;
  private readonly onChange = (): void => {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.running.then(async () => void (await this.reload()));
    }, this.intervalMs);
  };

  constructor(
    private readonly files: TlsFiles,
    private current: TlsMaterial,
    private readonly log: FastifyBaseLogger,
    private readonly intervalMs: number,
  ) {}

  get material(): TlsMaterial {
    return this.current;
  }

  private get paths(): string[] {
    return [this.files.certFile, this.files.keyFile, ...(this.files.clientCaFile ? [this.files.clientCaFile] : [])];
  }

  /** A listener whose context follows the files (the HTTPS server, the MLLP listener). */
  add(target: SecureContextTarget): void {
    this.targets.add(target);
  }

  remove(target: SecureContextTarget): void {
    this.targets.delete(target);
  }

  start(): void {
    if (this.watching) return;
    this.watching = true;
    for (const file of this.paths) fs.watchFile(file, { interval: this.intervalMs, persistent: false }, this.onChange);
  }

  async stop(): Promise<void> {
    if (this.watching) for (const file of this.paths) fs.unwatchFile(file, this.onChange);
    this.watching = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Load the files now; on success every listener serves them to its next connection. */
  async reload(): Promise<boolean> {
    let next: TlsMaterial;
    try {
      next = await loadTlsMaterial(this.files);
    } catch (err) {
      this.log.error({ err: { message: (err as Error).message } }, 'TLS certificate change not loaded; still serving the previous certificate');
      return false;
    }
    if (next.cert.equals(this.current.cert) && next.key.equals(this.current.key) && sameCa(next, this.current)) return true;
    const options = secureContextOptions(next);
    for (const target of this.targets) target.setSecureContext(options);
    this.current = next;
    this.log.info({ certificate: next.info }, 'TLS certificate reloaded: new connections get it');
    warnIfExpiring(next, this.log);
    return true;
  }
}

function sameCa(a: TlsMaterial, b: TlsMaterial): boolean {
  return a.clientCa === null ? b.clientCa === null : b.clientCa !== null && a.clientCa.equals(b.clientCa);
}

export function warnIfExpiring(m: TlsMaterial, log: FastifyBaseLogger, now = Date.now()): void {
  const left = Date.parse(m.info.validTo) - now;
  if (left < EXPIRY_WARNING_MS) {
    log.warn({ validTo: m.info.validTo, subject: m.info.subject }, left <= 0 ? 'TLS certificate has expired' : 'TLS certificate expires within 14 days');
  }
}
