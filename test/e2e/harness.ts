import fs from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/index.ts';
import type { Db } from '../../src/store/db.ts';
import { TEST_KEY_FILE } from '../helpers/keys.ts';
import type { Reading } from '../helpers/gateway.ts';

// The dashboard in a real browser against the real service on a fixed loopback port, so
// the page can stay open while the service stops and starts again under it.

export const CHROMIUM = '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

export interface Listening {
  readonly app: FastifyInstance;
  readonly httpUrl: string;
  readonly wsUrl: string;
  close(): Promise<void>;
}

/** buildApp listening on 127.0.0.1:`port` (0 for any). */
export async function listen(db: Db, databaseUrl: string, port: number, env: Record<string, string> = {}): Promise<Listening> {
  const config = loadConfig({ PORT: String(port), LOG_LEVEL: 'silent', DATABASE_URL: databaseUrl, MASTER_KEY_FILE: TEST_KEY_FILE, ...env });
  const app = await buildApp({ config, db, databaseUrl });
  await app.listen({ host: '127.0.0.1', port });
  const addr = app.server.address();
  if (!addr || typeof addr === 'string') throw new Error('no address');
  return {
    app,
    httpUrl: `http://127.0.0.1:${addr.port}`,
    wsUrl: `ws://127.0.0.1:${addr.port}/v1/ingest`,
    close: () => app.close(),
  };
}

/** A page that records console errors and failed requests (a CSP violation is one). */
export async function openPage(context: BrowserContext): Promise<{ page: Page; problems: string[] }> {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return { page, problems };
}

/** Sign in through the form. */
export async function signInThroughForm(page: Page, httpUrl: string, email: string, password: string): Promise<void> {
  await page.goto(`${httpUrl}/`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Alert queue' }).waitFor();
}

let seq = 0;

/** A reading that raises a ventricular_arrhythmia alert (high) for `device`. */
export function vtReading(device: string, at = new Date()): Reading {
  return { device, seq: ++seq, at: at.toISOString(), metric: 'vt_episodes', value: 1 };
}
