import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import type { Reading } from '../helpers/gateway.ts';
import { seedUser, signIn } from '../helpers/people.ts';
import { parseCsv } from '../unit/export/rfc4180.ts';

// GET /v1/exports/timeline and npm run export against a real PostgreSQL: who may export,
// what the rows hold (and never hold), filters, a client leaving mid-stream, the audit log.

const run = promisify(execFile);
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1, 2);
const KEY = 'test export key, long enough to be accepted';
let tdb: TestDatabase;
let svc: RunningService;
let gatewayKey: string;
let admin: string;
let clinician: string;
let analyst: string;
let analystUserId: number;
let emptyAnalyst: string;
let patientId: number;

const jane = { site: 'east', familyName: 'Doezinski', givenName: 'Janetta', nhsNumber: '943 476 5919', dateOfBirth: '1950-03-04', sex: 'female' };

async function post(path: string, cookie: string, body: unknown) {
  const res = await fetch(`${svc.httpUrl}${path}`, {
    method: 'POST',
    headers: { cookie, origin: svc.httpUrl, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status, `${path}: ${await res.clone().text()}`).toBeLessThan(300);
  return (await res.json()) as Record<string, never>;
}

function get(query: string, headers: Record<string, string>, init: RequestInit = {}) {
  return fetch(`${svc.httpUrl}/v1/exports/timeline${query}`, { headers, ...init });
}

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  svc = await startService(tdb.db, tdb.url, { EXPORT_KEY: KEY });
  gatewayKey = (await seedGateway(tdb.db, 'east')).key;
  await seedGateway(tdb.db, 'west');
  const gw = await svc.gateway(gatewayKey);
  const rows: Reading[] = [];
  let seq = 0;
  for (let d = 0; d < 30; d++) {
    const at = new Date(T0 + d * DAY).toISOString();
    rows.push({ device: 'MDT-SECRET0001X', seq: ++seq, at, metric: 'thoracic_impedance', value: 70 });
    rows.push({ device: 'MDT-SECRET0001X', seq: ++seq, at, metric: 'battery_status', value: d < 20 ? 1 : 3 });
    rows.push({ device: 'MDT-SECRET0001X', seq: ++seq, at, metric: 'vt_episodes', value: d === 25 ? 2 : 0 });
    // Not enrolled: never exported.
    rows.push({ device: 'BSX-UNENROLLED.1', seq: ++seq, at, metric: 'vt_episodes', value: 1 });
  }
  await gw.batch('b1', rows);
  gw.close();

  admin = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'admin')).email);
  clinician = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'clinician', ['east'])).email);
  const a = await seedUser(tdb.db, 'analyst', ['east']);
  analystUserId = a.id;
  analyst = await signIn(svc.httpUrl, a.email);
  emptyAnalyst = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'analyst', ['west'])).email);

  const created = await post('/v1/patients', admin, jane);
  const ref = (created.patient as unknown as { id: string }).id;
  patientId = Number(ref.slice(2));
  await post(`/v1/patients/${ref}/devices`, admin, { serial: 'MDT-SECRET0001X', deviceType: 'icd' });
  const alert = await tdb.db
    .selectFrom('alerts').innerJoin('devices', 'devices.id', 'alerts.device_id').select('alerts.id')
    .where('kind', '=', 'ventricular_arrhythmia').where('serial', '=', 'MDT-SECRET0001X')
    .executeTakeFirstOrThrow();
  await post(`/v1/alerts/${alert.id}/acknowledge`, clinician, { comment: 'Called Janetta =cmd at home' });
  await post(`/v1/alerts/${alert.id}/resolve`, clinician, { resolution: 'actioned', comment: 'free text 0123456789' });
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

const auditRows = async (action: string) =>
  (await sql<{ user_id: number | null; role: string | null; detail: Record<string, unknown> }>`
    SELECT user_id, role, detail FROM audit_log WHERE action = ${action} ORDER BY id`.execute(tdb.db)).rows;

describe('who may export', () => {
  it('is analysts only: clinicians and admins 403, a gateway key or nobody 401', async () => {
    expect((await get('', { cookie: clinician })).status).toBe(403);
    expect((await get('', { cookie: admin })).status).toBe(403);
    const gw = await get('', { authorization: `Bearer ${gatewayKey}` });
    expect([gw.status, ((await gw.json()) as { code: string }).code]).toEqual([401, 'not_signed_in']);
    expect((await get('', {})).status).toBe(401);
  });

  it('refuses a site the analyst is not a member of, like one that does not exist', async () => {
    for (const site of ['west', 'nowhere']) {
      const res = await get(`?site=${site}`, { cookie: analyst });
      expect([res.status, ((await res.json()) as { code: string }).code]).toEqual([403, 'forbidden']);
    }
  });

  it('refuses without an export key, rather than exporting raw ids', async () => {
    const keyless = await startService(tdb.db, tdb.url);
    try {
      const cookie = await signIn(keyless.httpUrl, (await seedUser(tdb.db, 'analyst', ['east'])).email);
      const res = await fetch(`${keyless.httpUrl}/v1/exports/timeline`, { headers: { cookie } });
      expect([res.status, ((await res.json()) as { code: string }).code]).toEqual([503, 'export_key_missing']);
    } finally {
      await keyless.close();
    }
  });

  it('answers malformed dates and unknown values with 400 bad_message', async () => {
    for (const q of ['?from=yesterday', '?from=2026-02-30', '?to=2026-01-01T10:00', '?from=2026-02-01&to=2026-01-01', '?format=xlsx', '?kind=toaster', '?include=names']) {
      const res = await get(q, { cookie: analyst });
      expect([res.status, ((await res.json()) as { code: string }).code], q).toEqual([400, 'bad_message']);
    }
  });
});

describe('the timeline', () => {
  let csv: string;
  let rows: Array<Record<string, string>>;

  beforeAll(async () => {
    const res = await get('?format=csv', { cookie: analyst });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    csv = await res.text();
    const [header, ...records] = parseCsv(csv);
    rows = records.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i]!])));
  });

  it('holds one subject with its enrolment, episodes, battery changes and the alert lifecycle, in time order', () => {
    expect(new Set(rows.map((r) => r.subject)).size).toBe(1);
    expect(rows.map((r) => r.event).sort()).toEqual([
      'alert_acknowledged', 'alert_opened', 'alert_opened', 'alert_resolved', 'battery_status', 'battery_status', 'enrolled', 'episode',
    ]);
    // One clock for all: readings' event times and the service's times of enrolment and alert steps.
    const times = rows.map((r) => Date.parse(r.at!));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    const byEvent = Object.fromEntries(rows.filter((r) => r.kind !== 'battery').map((r) => [r.event, r]));
    expect(rows.find((r) => r.kind === 'battery')).toMatchObject({ event: 'alert_opened', priority: 'medium' });
    // One subject, fewer than the default k of 5: every quasi-identifier is withheld (the
    // values themselves, with --min-cell 1: test/integration/export-deid.test.ts).
    expect(byEvent.enrolled).toMatchObject({ device_type: '*', site: '*', sex: '*', age_band: '*' });
    expect(rows.filter((r) => r.event === 'battery_status').map((r) => [r.previous, r.status])).toEqual([
      ['', 'beginning_of_service'], ['beginning_of_service', 'elective_replacement'],
    ]);
    expect(byEvent.episode).toMatchObject({ metric: 'vt_episodes', count: '2' });
    expect(byEvent.alert_acknowledged).toMatchObject({ kind: 'ventricular_arrhythmia', actor_role: 'clinician', alert: byEvent.alert_opened!.alert });
    expect(byEvent.alert_resolved).toMatchObject({ resolution: 'actioned', actor_role: 'clinician' });
    expect(byEvent.alert_opened).toMatchObject({ actor_role: 'system', priority: 'high' });
  });

  it('shifts dates by whole days and keeps the intervals', () => {
    const battery = rows.filter((r) => r.event === 'battery_status').map((r) => Date.parse(r.at!));
    expect(battery[1]! - battery[0]!).toBe(20 * DAY);
    const shift = battery[0]! - T0;
    expect(Math.abs(shift % DAY)).toBe(0);
    expect(Math.abs(shift / DAY)).toBeLessThanOrEqual(180);
  });

  it('carries no name, NHS number, birth date, serial, gateway, comment or internal id', async () => {
    const ndjson = await (await get('?include=readings', { cookie: analyst })).text();
    for (const text of [csv, ndjson]) {
      for (const secret of ['Doezinski', 'Janetta', '9434765919', '943 476 5919', '1950-03-04', 'SECRET', 'UNENROLLED', 'test gateway', 'Called', '=cmd', 'free text', '0123456789', `p-${patientId}`]) {
        expect(text).not.toContain(secret);
      }
    }
    const lines = ndjson.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => l.event === 'reading')).toHaveLength(90);
  });

  it('gives the same subject and dates in every export with the same key', async () => {
    expect(await (await get('?format=csv', { cookie: analyst })).text()).toBe(csv);
  });

  it('selects by the shifted clock and by alert kind; the enrolled row always stays', async () => {
    const shifted = Date.parse(rows.find((r) => r.event === 'episode')!.at!);
    const one = await (await get(`?format=csv&from=${new Date(shifted).toISOString()}&to=${new Date(shifted + 1).toISOString()}`, { cookie: analyst })).text();
    expect(parseCsv(one).slice(1).map((r) => r[2]).sort()).toEqual(['enrolled', 'episode']);
    const battery = await (await get('?format=csv&kind=battery', { cookie: analyst })).text();
    const alerts = parseCsv(battery).slice(1).filter((r) => r[2]!.startsWith('alert_'));
    expect(alerts.map((r) => r[8])).toEqual(['battery']);
  });

  it('is a header and nothing else when nothing matches', async () => {
    const res = await get('?format=csv', { cookie: emptyAnalyst });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(csv.slice(0, csv.indexOf('\r\n') + 2));
    const nd = await get('', { cookie: emptyAnalyst });
    expect([nd.status, await nd.text()]).toEqual([200, '']);
  });

  it('is audited: who, the filter and how many subjects', async () => {
    const done = await auditRows('export.timeline');
    const last = done.find((r) => (r.detail.filter as { format: string }).format === 'csv' && r.detail.outcome === 'complete');
    expect(last).toMatchObject({ user_id: analystUserId, role: 'analyst', detail: { outcome: 'complete', subjects: 1, rows: rows.length } });
    expect((await auditRows('export.timeline.start')).length).toBeGreaterThanOrEqual(done.length);
  });
});

describe('a client that leaves mid-stream', () => {
  it('cancels the query and gives the connection back to the pool', async () => {
    const device = await tdb.db.selectFrom('devices').select('id').where('serial', '=', 'MDT-SECRET0001X').executeTakeFirstOrThrow();
    // 400,000 readings: far more than a socket buffers.
    await sql`
      INSERT INTO readings (device_id, seq, at, metric, value, gateway_id)
      SELECT ${device.id}, 1000000 + g, ${new Date(T0 - 400 * DAY)}::timestamptz + g * interval '1 minute', 1, 60, 1
      FROM generate_series(1, 400000) g`.execute(tdb.db);
    const before = (await auditRows('export.timeline')).length;
    const aborter = new AbortController();
    const res = await get('?include=readings&format=csv', { cookie: analyst }, { signal: aborter.signal });
    const reader = res.body!.getReader();
    let got = 0;
    while (got < 100_000) got += (await reader.read()).value?.length ?? 0;
    aborter.abort();

    let audit: Array<{ detail: Record<string, unknown> }> = [];
    for (let i = 0; i < 100 && audit.length <= before; i++) {
      await new Promise((r) => setTimeout(r, 100));
      audit = await auditRows('export.timeline');
    }
    expect(audit.at(-1)!.detail).toMatchObject({ outcome: 'cancelled' });
    expect(audit.at(-1)!.detail.rows).toBeLessThan(400_000);
    // Nothing of the export is left running or holding a transaction open.
    const busy = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid()
        AND (query ILIKE '%export_timeline%' AND state <> 'idle' OR state LIKE 'idle in transaction%')`.execute(tdb.db);
    expect(busy.rows[0]!.n).toBe(0);
    expect(tdb.pool.totalCount - tdb.pool.idleCount).toBeLessThanOrEqual(1);
  });
});

describe('npm run export', () => {
  const cli = async (args: string[], env: Record<string, string>) => {
    try {
      const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/export/cli.ts', ...args], {
        env: { ...process.env, DATABASE_URL: tdb.url, ...env },
      });
      return { code: 0, stdout, stderr };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: err.code, stdout: err.stdout, stderr: err.stderr };
    }
  };

  it('writes the same file as the route, with a final count, and an audit row without a user', async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'export-')), 'timeline.csv');
    const res = await cli(['--format', 'csv', '--out', out, '--site', 'east', '--kind', 'ventricular_arrhythmia'], { EXPORT_KEY: KEY });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/\d+ rows for 1 subjects written to/);
    const fromRoute = await (await get('?format=csv&kind=ventricular_arrhythmia', { cookie: analyst })).text();
    expect(fs.readFileSync(out, 'utf8')).toBe(fromRoute);
    const audit = await auditRows('export.cli');
    expect(audit.at(-1)).toMatchObject({ user_id: null, detail: { outcome: 'complete', subjects: 1 } });
  });

  it('refuses without a key', async () => {
    const res = await cli(['--out', '/dev/null'], { EXPORT_KEY: '' });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('export_key_missing');
  });
});
