import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import { sameOrigin, seedUser, signIn } from '../helpers/people.ts';
import { runCli } from '../helpers/cli.ts';
import { TEST_KEY_FILE } from '../helpers/keys.ts';
import { alertId } from '../../src/alerts/present.ts';

// Identifiers and comments at rest: nothing planted through the API (or stored in plain
// before encryption existed) can be read from the database's contents, everything reads
// back through the API, and after a master key rotation nothing is under the old key.

const run = promisify(execFile);
const SITE = 'vault';
const PLANTED = {
  familyName: 'Quillfeather', givenName: 'Zephyrine', nhsNumber: '9434765919', dateOfBirth: '1948-03-12',
  comment: 'Spoke to Zephyrine on the phone: ankles swollen since Tuesday',
};
const LEGACY = { familyName: 'Oldcastle', givenName: 'Wilhelmina', nhsNumber: '4010232137', dateOfBirth: '1939-11-05', comment: 'Legacy note written before sealing: Wilhelmina is well' };
/** Every form in which a planted value could show in a dump. */
const needles = (p: typeof PLANTED) => [p.familyName, p.givenName, p.nhsNumber, p.dateOfBirth, p.dateOfBirth.replaceAll('-', ''), p.comment, p.comment.slice(0, 20)];

let tdb: TestDatabase;
let svc: RunningService;
let keyFile: string;
let key: string;
let admin: string;
let clinician: string;
let plantedRef: string;
let legacyId: number;
let deviceSeq = 0;

const env = () => ({ MASTER_KEY_FILE: keyFile, ENGINE_CONNECTIVITY_CHECK_MS: '3600000' });
const api = async (method: string, url: string, cookie: string, body?: unknown) => {
  const res = await fetch(`${svc.httpUrl}${url}`, {
    method,
    headers: { cookie, ...(body === undefined ? {} : { 'content-type': 'application/json', ...sameOrigin(svc.httpUrl) }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers of several routes, checked field by field
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

/** An alert of a new device: one ventricular episode. */
async function raiseAlert(): Promise<{ id: number; serial: string }> {
  const serial = `VAULT-${++deviceSeq}`;
  const gw = await svc.gateway(key);
  await gw.batch(`b${deviceSeq}`, [{ device: serial, seq: 1, at: new Date(Date.now() - 3_600_000).toISOString(), metric: 'vt_episodes', value: 2 }]);
  gw.close();
  const row = await sql<{ id: number }>`SELECT a.id FROM alerts a JOIN devices d ON d.id = a.device_id WHERE d.serial = ${serial}`.execute(tdb.db);
  return { id: row.rows[0]!.id, serial };
}

/** Every row of every table of the database as text: what a dump's data holds. */
async function tableText(): Promise<string> {
  const tables = await sql<{ name: string }>`
    SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) AS name FROM information_schema.tables
    WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`.execute(tdb.db);
  expect(tables.rows.map((t) => t.name)).toContain('public.patients');
  let text = '';
  for (const t of tables.rows) {
    const rows = await sql<{ r: string | null }>`SELECT string_agg(x::text, E'\n') AS r FROM ${sql.raw(t.name)} x`.execute(tdb.db);
    text += `${t.name}\n${rows.rows[0]!.r ?? ''}\n`;
  }
  return text;
}

/** pg_dump of the database when this machine's pg_dump can dump its server; null otherwise (said in the output). */
async function pgDump(): Promise<string | null> {
  const server = Number((await sql<{ v: string }>`SELECT current_setting('server_version_num') AS v`.execute(tdb.db)).rows[0]!.v) / 10000;
  let client: number;
  try {
    client = Number(/(\d+)\./.exec((await run('pg_dump', ['--version'])).stdout)![1]);
  } catch {
    console.log('pg_dump not installed: the dump is checked as every table\'s rows only');
    return null;
  }
  if (client < Math.floor(server)) {
    console.log(`pg_dump ${client} cannot dump server ${Math.floor(server)}: the dump is checked as every table's rows only`);
    return null;
  }
  return (await run('pg_dump', ['--no-owner', tdb.url], { maxBuffer: 256 * 1024 * 1024 })).stdout;
}

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  keyFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'vault-')), 'master.keys');
  fs.copyFileSync(TEST_KEY_FILE, keyFile);
  fs.chmodSync(keyFile, 0o600);
  key = (await seedGateway(tdb.db, SITE)).key;
  svc = await startService(tdb.db, tdb.url, env());
  admin = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'admin')).email);
  clinician = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'clinician', [SITE])).email);

  // Stored as before encryption at rest: a patient in the plain columns and a plain comment.
  const site = (await sql<{ id: number }>`SELECT id FROM sites WHERE code = ${SITE}`.execute(tdb.db)).rows[0]!.id;
  legacyId = (await sql<{ id: number }>`
    INSERT INTO patients (site_id, family_name, given_name, nhs_number, date_of_birth, sex)
    VALUES (${site}, ${LEGACY.familyName}, ${LEGACY.givenName}, ${LEGACY.nhsNumber}, ${LEGACY.dateOfBirth}::date, 'female') RETURNING id`.execute(tdb.db)).rows[0]!.id;
  const old = await raiseAlert();
  await sql`INSERT INTO alert_events (alert_id, type, actor_id, data) VALUES (${old.id}, 'commented', NULL, ${JSON.stringify({ comment: LEGACY.comment })}::jsonb)`.execute(tdb.db);
  // The next start seals them.
  await svc.close();
  svc = await startService(tdb.db, tdb.url, env());
  admin = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'admin')).email);
  clinician = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'clinician', [SITE])).email);

  const created = await api('POST', '/v1/patients', admin, { site: SITE, familyName: PLANTED.familyName, givenName: PLANTED.givenName, nhsNumber: '943 476 5919', dateOfBirth: PLANTED.dateOfBirth, sex: 'female' });
  expect(created.status).toBe(201);
  plantedRef = created.body.patient.id;
  const alert = await raiseAlert();
  expect((await api('POST', `/v1/patients/${plantedRef}/devices`, admin, { serial: alert.serial, deviceType: 'crt_d' })).status).toBe(200);
  expect((await api('POST', `/v1/alerts/${alertId(alert.id)}/comment`, clinician, { comment: PLANTED.comment })).status).toBe(200);
}, 120_000);

afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

describe('identifiers and comments at rest', () => {
  it('appear nowhere in the database: not in any table, nor in pg_dump', async () => {
    const text = await tableText();
    for (const n of [...needles(PLANTED), ...needles(LEGACY)]) expect(text, n).not.toContain(n);
    // The sealed forms are there instead.
    expect(text).toMatch(/v1\.\d+\.[A-Za-z0-9_-]{20,}/);
    const dump = await pgDump();
    if (dump !== null) {
      expect(dump).toContain('CREATE TABLE public.patients');
      for (const n of [...needles(PLANTED), ...needles(LEGACY)]) expect(dump, n).not.toContain(n);
    }
  });

  it('read back through the API: the patient, a search by NHS number, the comment', async () => {
    const one = await api('GET', `/v1/patients/${plantedRef}`, clinician);
    expect(one.status).toBe(200);
    expect(one.body.patient).toMatchObject({ familyName: PLANTED.familyName, givenName: PLANTED.givenName, nhsNumber: PLANTED.nhsNumber, dateOfBirth: PLANTED.dateOfBirth });
    const found = await api('GET', `/v1/patients?nhsNumber=${encodeURIComponent('943 476 5919')}`, clinician);
    expect(found.body.patients.map((p: { id: string }) => p.id)).toEqual([plantedRef]);
    expect((await api('GET', '/v1/patients?nhsNumber=9434765870', clinician)).body.patients).toEqual([]);
    expect((await api('GET', '/v1/patients?nhsNumber=1234567890', clinician)).status).toBe(400);
    const alertRef = one.body.alerts[0].id as string;
    const history = await api('GET', `/v1/alerts/${alertRef}/history`, clinician);
    expect(history.body.history.filter((e: { type: string }) => e.type === 'commented').map((e: { comment: string }) => e.comment)).toEqual([PLANTED.comment]);
    // The search is audited as one, never with the number.
    const audit = await sql<{ detail: unknown }>`SELECT detail FROM audit_log WHERE action = 'patient.list' ORDER BY id DESC LIMIT 1`.execute(tdb.db);
    expect(JSON.stringify(audit.rows[0]!.detail)).toContain('nhsNumber');
    expect(JSON.stringify(audit.rows[0]!.detail)).not.toContain('0232137');
  });

  it('seals what was stored in plain before, at start, and it reads back', async () => {
    const row = await sql<Record<string, unknown>>`SELECT family_name, given_name, nhs_number, date_of_birth, family_name_sealed FROM patients WHERE id = ${legacyId}`.execute(tdb.db);
    expect(row.rows[0]).toMatchObject({ family_name: null, given_name: null, nhs_number: null, date_of_birth: null });
    expect(row.rows[0]!.family_name_sealed).toMatch(/^v1\./);
    const legacy = await api('GET', `/v1/patients/p-${legacyId}`, clinician);
    expect(legacy.body.patient).toMatchObject({ familyName: LEGACY.familyName, nhsNumber: LEGACY.nhsNumber, dateOfBirth: LEGACY.dateOfBirth });
    // Its NHS number is found through the blind index the sealing computed.
    expect((await api('GET', `/v1/patients?nhsNumber=${LEGACY.nhsNumber}`, clinician)).body.patients.map((p: { id: string }) => p.id)).toEqual([`p-${legacyId}`]);
    const comment = await sql<{ alert_id: number }>`SELECT alert_id FROM alert_events WHERE data ? 'commentSealed' ORDER BY cursor LIMIT 1`.execute(tdb.db);
    const history = await api('GET', `/v1/alerts/${alertId(comment.rows[0]!.alert_id)}/history`, clinician);
    expect(history.body.history.map((e: { comment?: string }) => e.comment).filter(Boolean)).toEqual([LEGACY.comment]);
  });

  it('answers a hostile NHS number search with 400 and a reason, reading no one', async () => {
    const before = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_log WHERE action = 'patient.list'`.execute(tdb.db)).rows[0]!.n;
    for (const q of ['9'.repeat(21), '%00', '943476591%00', "9434765919' OR 1=1 --", '%F0%9F%92%A9'.repeat(3), '']) {
      const res = await api('GET', `/v1/patients?nhsNumber=${q}`, clinician);
      expect(res.status, q).toBe(400);
      expect(res.body.code, q).toBe('bad_message');
    }
    expect((await api('GET', '/v1/patients?nhsNumber=9434765919', '')).status).toBe(401);
    const after = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_log WHERE action = 'patient.list'`.execute(tdb.db)).rows[0]!.n;
    expect(after).toBe(before);
  });

  it('a taken NHS number is still refused (its blind index is unique)', async () => {
    const again = await api('POST', '/v1/patients', admin, { site: SITE, familyName: 'Other', givenName: 'Person', nhsNumber: PLANTED.nhsNumber, dateOfBirth: '1950-01-01' });
    expect(again.status).toBe(409);
  });

  it('stays append-only for everything but sealing a comment', async () => {
    await expect(sql`UPDATE alert_events SET type = 'opened' WHERE data ? 'commentSealed'`.execute(tdb.db)).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM alert_events WHERE data ? 'commentSealed'`.execute(tdb.db)).rejects.toThrow(/append-only/);
    // Even when the transaction asks for sealing, only a comment may change.
    await expect(tdb.db.transaction().execute(async (trx) => {
      await sql`SELECT set_config('cardiotel.reseal_comments', 'on', true)`.execute(trx);
      await sql`UPDATE alert_events SET data = data || '{"resolution": "other"}' WHERE data ? 'commentSealed'`.execute(trx);
    })).rejects.toThrow(/append-only/);
  });
});

describe('npm run admin -- keys', () => {
  it('rotates the master key while the service runs: everything still reads, and nothing is under the old key', async () => {
    const cli = (args: string[]) => {
      const saved = process.env.MASTER_KEY_FILE;
      process.env.MASTER_KEY_FILE = keyFile;
      return runCli('src/admin/cli.ts', args, tdb.url).finally(() => { process.env.MASTER_KEY_FILE = saved; });
    };
    const bad = await cli(['keys', 'rotate', '--batch', 'many']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('keys rotate [--batch N]');
    const oldId = fs.readFileSync(keyFile, 'utf8').trim().split('\n').at(-1)!.split(' ')[0]!;
    const added = await cli(['keys', 'new']);
    expect(added.code, added.stderr).toBe(0);
    const newId = /master key "([^"]+)" added/.exec(added.stdout)![1]!;
    expect(newId).not.toBe(oldId);

    // A patient registered now, by the running service, is wrapped under the new key already.
    const late = await api('POST', '/v1/patients', admin, { site: SITE, familyName: 'Latecomer', givenName: 'Lou', dateOfBirth: '1960-06-06' });
    expect(late.status).toBe(201);
    const lateKey = await sql<{ m: string }>`SELECT k.master_key_id AS m FROM patients p JOIN data_keys k ON k.id = p.data_key_id WHERE p.id = ${Number(late.body.patient.id.slice(2))}`.execute(tdb.db);
    expect(lateKey.rows[0]!.m).toBe(newId);

    const before = await sql<{ n: number }>`SELECT count(*)::int AS n FROM data_keys WHERE master_key_id = ${oldId}`.execute(tdb.db);
    expect(before.rows[0]!.n).toBeGreaterThanOrEqual(4); // general, index, and the patients'
    const rotated = await cli(['keys', 'rotate', '--batch', '2']);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stdout).toContain(`every data key is wrapped under "${newId}"`);
    expect(rotated.stderr).toMatch(new RegExp(`${before.rows[0]!.n}/${before.rows[0]!.n} data keys re-wrapped \\(100 %\\)`));
    const byMaster = await sql<{ m: string }>`SELECT DISTINCT master_key_id AS m FROM data_keys`.execute(tdb.db);
    expect(byMaster.rows.map((r) => r.m)).toEqual([newId]);
    const status = await cli(['keys', 'status', '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ current: newId, plain: { patients: 0, comments: 0 } });

    // The old key leaves the file; a service started on the new key alone reads everything.
    fs.writeFileSync(keyFile, fs.readFileSync(keyFile, 'utf8').split('\n').filter((l) => !l.startsWith(`${oldId} `)).join('\n'));
    await svc.close();
    svc = await startService(tdb.db, tdb.url, env());
    const reader = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'clinician', [SITE])).email);
    const all = await api('GET', '/v1/patients', reader);
    expect(all.status).toBe(200);
    expect(all.body.patients.map((p: { familyName: string }) => p.familyName).sort()).toEqual(['Latecomer', LEGACY.familyName, PLANTED.familyName].sort());
    const one = await api('GET', `/v1/patients/${plantedRef}`, reader);
    const history = await api('GET', `/v1/alerts/${one.body.alerts[0].id}/history`, reader);
    expect(history.body.history.some((e: { comment?: string }) => e.comment === PLANTED.comment)).toBe(true);
  });

  it('refuses to start on a keyring that lacks the key its data keys are under, naming the key', async () => {
    const other = path.join(path.dirname(keyFile), 'other.keys');
    fs.writeFileSync(other, `stranger ${Buffer.alloc(32, 7).toString('base64')}\n`, { mode: 0o600 });
    await expect(startService(tdb.db, tdb.url, { MASTER_KEY_FILE: other })).rejects.toThrow(/wrapped under master key "[^"]+", which .*other\.keys does not hold/);
  });
});
