// npm start: the service on embedded PostgreSQL with the simulator feeding it, so a
// newcomer sees readings flow with one command. `npm run serve` is the service alone.
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, ConfigError } from '../src/config/index.ts';
import { openVault } from '../src/crypto/open.ts';
import { startService } from '../src/runtime.ts';
import { createGateway, createSite } from '../src/admin/commands.ts';
import { GatewayAuthenticator } from '../src/auth/gateways.ts';
import type { Db } from '../src/store/db.ts';
import { createCohort, runSimulation } from './index.ts';
import { demoLifecycle, demoPatients, demoUsers, writeSecretFile } from './demo-seed.ts';
import { devCertificatePaths } from '../src/tls/dev-cert.ts';

const DEMO_SITE = 'demo';

function envInt(name: string, def: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return def;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new ConfigError([{ variable: name, problem: `expected a positive whole number, got "${v}"` }]);
  return Number(v);
}

/** The demo gateway's key, kept beside the data directory so restarts resume. */
async function demoKey(db: Db, keyFile: string): Promise<string> {
  if (fs.existsSync(keyFile)) {
    const key = fs.readFileSync(keyFile, 'utf8').trim();
    if (await new GatewayAuthenticator(db).authenticate(`Bearer ${key}`)) return key;
  }
  const site = await db.selectFrom('sites').select('id').where('code', '=', DEMO_SITE).executeTakeFirst();
  if (!site) await createSite(db, DEMO_SITE, 'Demo site (simulated cohort)');
  const { key } = await createGateway(db, DEMO_SITE, 'demo simulator relay');
  writeSecretFile(keyFile, `${key}\n`);
  return key;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const patients = envInt('DEMO_PATIENTS', 200);
  const days = envInt('DEMO_DAYS', 90);
  // Simulated seconds per wall second: 43,200 = half a day of device time a second.
  const speed = envInt('DEMO_SPEED', 43_200);
  const seed = envInt('DEMO_SEED', 7);
  // DEMO_LIFECYCLE=1: generator changes, lead revisions and reprogramming, recorded in the service.
  const lifecycle = process.env.DEMO_LIFECYCLE === '1';
  // The cohort's first day, as runSimulation would take it, fixed here for the events' times.
  const start = Math.floor(Date.now() / 86_400_000) * 86_400_000 - days * 86_400_000;

  const running = await startService(config);
  const { log } = running;
  const dataParent = path.dirname(config.dataDir);
  const key = await demoKey(running.database.db, path.join(dataParent, 'demo-gateway.key'));
  const credentialsFile = path.join(dataParent, 'demo-credentials.json');
  const people = await demoUsers(running.database.db, DEMO_SITE, credentialsFile);
  const vault = await openVault(running.database.db, config.keys, running.log);
  const cohort = createCohort({ patients, days, seed, ...(lifecycle ? { start, lifecycle } : {}) });
  const enrolled = await demoPatients(running.database.db, vault, DEMO_SITE, cohort.patients, seed, Date.now());
  if (enrolled > 0) log.info({ patients: enrolled }, 'demo: simulated patients registered and their devices enrolled');
  if (lifecycle) {
    const recorded = await demoLifecycle(running.database.db, vault, DEMO_SITE, cohort, seed);
    log.info({ recorded, events: cohort.lifecycle.length }, 'demo: device lifecycle events recorded');
  }
  const clinician = people.find((p) => p.role === 'clinician')!;
  // The one place the demo's password is shown: the terminal that started it, not the log.
  process.stderr.write(
    `\n  Dashboard: ${running.address}/\n  Sign in as ${clinician.email} with the password in ${credentialsFile}\n` +
      `  (admin and analyst accounts are there too)\n` +
      (config.tls.mode === 'dev' ? `  TLS=dev: the browser warns about the certificate unless it trusts ${devCertificatePaths(config.tls.devDir).caFile}\n\n` : '\n'),
  );
  const wsUrl = running.address.replace(/^http/, 'ws') + '/v1/ingest';
  log.info(
    { docs: `${running.address}/docs`, metrics: `${running.address}/metrics`, patients, days, speed, seed },
    `demo: simulating ${patients} patients over ${days} days into ${running.address} (Ctrl-C stops)`,
  );

  const stop = new AbortController();
  running.beforeShutdown(() => stop.abort());
  let lastReport = 0;
  const summary = await runSimulation({
    closeNow: stop.signal,
    patients,
    days,
    seed,
    speed,
    ...(lifecycle ? { start, lifecycle } : {}),
    url: wsUrl,
    key,
    // TLS=dev: the simulator trusts the development CA the service made; with real
    // certificate files, the system's CAs (and NODE_EXTRA_CA_CERTS).
    ...(config.tls.mode === 'dev' ? { ca: fs.readFileSync(devCertificatePaths(config.tls.devDir).caFile, 'utf8') } : {}),
    resume: true,
    log: (line) => log.info(`simulator: ${line}`),
    onProgress: (p) => {
      if (p.simTime - lastReport < 7 * 86_400_000) return;
      lastReport = p.simTime;
      log.info({ day: Math.round(p.simDays), of: p.totalDays, sent: p.sent, acked: p.acked }, 'demo: simulator progress');
    },
  });
  if (summary.aborted) return;
  log.info(
    { sent: summary.sent, accepted: summary.accepted, duplicates: summary.duplicates, rejected: summary.rejected, resent: summary.resent },
    'demo: the simulated cohort is in; the service keeps running (Ctrl-C stops it)',
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(err instanceof ConfigError ? 78 : 1);
});
