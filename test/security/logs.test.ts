import { spawn } from 'node:child_process';
import pino from 'pino';
import { loggerOptions } from '../../src/observability/logger.ts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createCohort, runSimulation } from '../../simulators/index.ts';
import { demoPatients } from '../../simulators/demo-seed.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { freePort } from '../helpers/process.ts';
import { seedGateway } from '../helpers/service.ts';
import { postSession, seedUser, signIn } from '../helpers/people.ts';
import { testVault } from '../helpers/keys.ts';
import { listPatients } from '../../src/store/patients.ts';
import { openIdentities } from '../../src/patients/sealed.ts';

// A full run through the real service process at LOG_LEVEL=info: a simulated cohort with
// registered patients, sign-ins (one failed), patient pages, an acknowledged alert and an
// export. Its whole log output must name no patient (name, NHS number, date of birth,
// device serial) and carry no gateway key, password, session token or e-mail address.

const DAY = 86_400_000;
const SITE = 'logsite';
const COHORT = { patients: 16, days: 60, seed: 77, sites: [SITE], start: Math.floor(Date.now() / DAY) * DAY - 60 * DAY };
let tdb: TestDatabase;
let output = '';
let secrets: Array<{ what: string; value: string }> = [];

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  const gw = await seedGateway(tdb.db, SITE);
  const cohort = createCohort(COHORT);
  await demoPatients(tdb.db, await testVault(tdb.db), SITE, cohort.patients, 77, Date.now());
  const clinician = await seedUser(tdb.db, 'clinician', [SITE], 'clinician secret passphrase');
  const analyst = await seedUser(tdb.db, 'analyst', [SITE], 'analyst secret passphrase');

  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { ...process.env, DATABASE_URL: tdb.url, PORT: String(port), LOG_LEVEL: 'info', EXPORT_KEY: 'LeZkwVAKpMfu751qq6BAgEgYPmF6A3t2IE153YcT0Ak', ENGINE_CONNECTIVITY_CHECK_MS: '3600000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const url = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; ; i++) {
      if (child.exitCode !== null || i > 300) throw new Error(`the service did not start:\n${output}`);
      if (await fetch(`${url}/health/ready`).then((r) => r.ok, () => false)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const summary = await runSimulation({ ...COHORT, url: `ws://127.0.0.1:${port}/v1/ingest`, key: gw.key, speed: 'max' });
    expect(summary.rejected).toBe(0);

    // A wrong password, then the clinician's day: patients, pages, charts, alerts, acknowledge.
    expect((await postSession(url, { email: clinician.email, password: 'wrong password guess' })).status).toBe(401);
    const cookie = await signIn(url, clinician.email, clinician.password);
    const headers = { cookie, origin: url };
    const list = (await (await fetch(`${url}/v1/patients`, { headers })).json()) as { patients: Array<{ id: string }> };
    expect(list.patients.length).toBe(COHORT.patients);
    for (const p of list.patients.slice(0, 4)) {
      expect((await fetch(`${url}/v1/patients/${p.id}`, { headers })).status).toBe(200);
      expect((await fetch(`${url}/v1/patients/${p.id}/readings`, { headers })).status).toBe(200);
    }
    const alerts = (await (await fetch(`${url}/v1/alerts?status=open`, { headers })).json()) as { alerts: Array<{ id: string }> };
    expect(alerts.alerts.length).toBeGreaterThan(0);
    const ack = await fetch(`${url}/v1/alerts/${alerts.alerts[0]!.id}/acknowledge`, {
      method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ comment: 'called the patient' }),
    });
    expect(ack.status).toBe(200);
    // A gateway's HTTP batch with one bad reading (quarantined), and a refused key.
    const serial = cohort.patients[0]!.device;
    await fetch(`${url}/v1/readings`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${gw.key}` },
      body: JSON.stringify({ readings: [{ device: serial, seq: 9_999_999, at: 'yesterday', metric: 'heart_rate', value: 60 }] }),
    });
    await fetch(`${url}/v1/readings`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${gw.key}x` }, body: '{}' });
    // The analyst's export, read to the end; then sign-out.
    const analystCookie = await signIn(url, analyst.email, analyst.password);
    const exported = await fetch(`${url}/v1/exports/timeline?format=ndjson`, { headers: { cookie: analystCookie } });
    expect(exported.status).toBe(200);
    expect((await exported.text()).length).toBeGreaterThan(0);
    await fetch(`${url}/v1/session`, { method: 'DELETE', headers });

    secrets = [
      { what: 'gateway key', value: gw.key },
      { what: 'password', value: clinician.password },
      { what: 'password', value: analyst.password },
      { what: 'password', value: 'wrong password guess' },
      { what: 'session token', value: cookie.replace('session=', '') },
      { what: 'session token', value: analystCookie.replace('session=', '') },
      { what: 'e-mail', value: clinician.email },
      { what: 'e-mail', value: analyst.email },
    ];
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  const patients = await openIdentities(await testVault(tdb.db), await listPatients(tdb.db, { siteIds: null, limit: 100_000 }));
  const devices = await tdb.db.selectFrom('devices').select('serial').execute();
  for (const p of patients) {
    secrets.push({ what: 'patient name', value: `${p.givenName} ${p.familyName}` });
    secrets.push({ what: 'NHS number', value: p.nhsNumber! });
    secrets.push({ what: 'date of birth', value: p.dateOfBirth });
  }
  for (const d of devices) secrets.push({ what: 'device serial', value: d.serial });
}, 300_000);
afterAll(async () => {
  await tdb?.drop();
});

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('the log of a full run', () => {
  it('was written at info level, by route pattern', () => {
    const lines = output.split('\n').filter((l) => l.startsWith('{'));
    expect(lines.length).toBeGreaterThan(20);
    expect(output).toContain('"route":"/v1/patients/:id"');
    expect(output).toContain('"route":"/v1/alerts/:id/acknowledge"');
    expect(output).toContain('"route":"/v1/exports/timeline"');
  });

  it('names no patient and carries no key, password, session token or e-mail', () => {
    expect(secrets.filter((s) => s.what === 'device serial').length).toBe(COHORT.patients);
    expect(secrets.filter((s) => s.what === 'NHS number').length).toBe(COHORT.patients);
    const found = secrets.filter(({ value }) => new RegExp(`(?<![0-9A-Za-z])${escape(value)}(?![0-9A-Za-z])`).test(output));
    expect(found).toEqual([]);
    // Nor any part of a key or token long enough to matter.
    for (const s of secrets.filter((x) => x.what === 'gateway key' || x.what === 'session token')) {
      expect(output, s.what).not.toContain(s.value.slice(4, 16));
    }
  });

  it('names no patient by family name alone', async () => {
    const rows = await listPatients(tdb.db, { siteIds: null, limit: 100_000 });
    const families = new Set((await openIdentities(await testVault(tdb.db), rows)).map((p) => p.familyName));
    expect(families.size).toBeGreaterThan(0);
    const found = [...families].filter((f) => new RegExp(`\\b${escape(f)}\\b`).test(output));
    expect(found).toEqual([]);
  });
});

describe('redaction', () => {
  it('censors identifying fields wherever a log call puts them, one level down', () => {
    const out: string[] = [];
    const log = pino(loggerOptions('info'), { write: (l: string) => void out.push(l) });
    const secret = { email: 'a@b.example', token: 'tok', cookie: 'session=x', password: 'pw', nhsNumber: '9990000018', dateOfBirth: '1950-01-01', name: 'Ada Brown', device: 'MDT-1', serial: 'MDT-1', key: 'gk_x' };
    log.info(secret, 'top level');
    log.info({ user: secret, res: { headers: { 'set-cookie': 'session=abc' } } }, 'nested');
    const text = out.join('');
    for (const v of ['a@b.example', 'tok"', 'session=x', '"pw"', '9990000018', '1950-01-01', 'Ada Brown', 'MDT-1', 'gk_x', 'session=abc']) expect(text).not.toContain(v);
    expect(text.match(/\[redacted\]/g)?.length).toBeGreaterThanOrEqual(21);
  });
});
