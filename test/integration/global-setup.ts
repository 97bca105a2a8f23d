import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { startEmbedded } from '../../src/store/embedded.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}

/**
 * One PostgreSQL server for the run: DATABASE_URL when set (each test file then
 * creates its own database on it), otherwise an embedded one in a temp directory.
 */
export default async function setup(project: TestProject) {
  if (process.env.DATABASE_URL) {
    project.provide('pgAdminUrl', process.env.DATABASE_URL);
    return;
  }
  // Under /var/tmp: as root the server runs as `postgres`, which must traverse the path.
  const base = fs.mkdtempSync(path.join(os.platform() === 'linux' ? '/var/tmp' : os.tmpdir(), 'telemetry-test-'));
  fs.chmodSync(base, 0o755);
  const port = 55000 + Math.floor(Math.random() * 5000);
  // Nested like the default ./data/pg, so the suite proves the parents stay traversable.
  const server = await startEmbedded(path.join(base, 'data', 'pg'), port, pino({ level: 'warn' }));
  project.provide('pgAdminUrl', server.url('postgres'));
  return async () => {
    await server.stop();
    fs.rmSync(base, { recursive: true, force: true });
  };
}
