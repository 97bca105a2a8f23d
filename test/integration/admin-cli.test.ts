import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { startService, type RunningService } from '../helpers/service.ts';
import { readings } from '../helpers/gateway.ts';
import { postSession, signIn } from '../helpers/people.ts';
import { runCli, type CliResult } from '../helpers/cli.ts';
import { listPatients } from '../../src/store/patients.ts';
import { openIdentities } from '../../src/patients/sealed.ts';
import { testVault } from '../helpers/keys.ts';

let tdb: TestDatabase;
let svc: RunningService;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  svc = await startService(tdb.db, tdb.url);
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

function admin(...args: string[]): Promise<CliResult> {
  return runCli('src/admin/cli.ts', args, tdb.url);
}

/** Run the CLI with `input` on its stdin. */
function adminWithStdin(input: string, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/admin/cli.ts', ...args], { env: { ...process.env, DATABASE_URL: tdb.url } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

/**
 * Run the CLI; once it has started, and before it gets its stdin, hand the command line
 * the system shows for it (/proc/<pid>/cmdline, what `ps` prints) to `seen`.
 */
function adminWatched(input: string, seen: (cmdline: string) => void, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/admin/cli.ts', ...args], { env: { ...process.env, DATABASE_URL: tdb.url } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.once('spawn', () => {
      readFile(`/proc/${child.pid}/cmdline`, 'utf8').then((c) => {
        seen(c.replaceAll('\0', ' '));
        child.stdin.end(input);
      }, reject);
    });
  });
}

async function storedPatient(ref: string) {
  const id = Number(/^p-(\d+)$/.exec(ref)![1]);
  // Stored sealed: read back through the vault, as the service reads it.
  const [p] = await openIdentities(await testVault(tdb.db), await listPatients(tdb.db, { siteIds: null, ids: [id], limit: 1 }));
  return p && { site: p.site, family_name: p.familyName, given_name: p.givenName, dob: p.dateOfBirth, nhs_number: p.nhsNumber, sex: p.sex };
}

const patientCount = async () => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM patients`.execute(tdb.db)).rows[0]!.n);

describe('npm run admin -- patient create: the identity never on the command line', () => {
  const jane = { familyName: 'Quennell-Argv', givenName: 'Philippa', dateOfBirth: '1950-03-04', nhsNumber: '9434765919' };
  const identifiers = [jane.familyName, jane.givenName, jane.dateOfBirth, jane.nhsNumber];
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'identity-'));
    await admin('site', 'create', 'idt', '--name', 'Identity site');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('takes it as JSON on stdin (--identity-file -); the command line the system shows names no one', async () => {
    let cmdline = '';
    const r = await adminWatched(JSON.stringify({ ...jane, sex: 'female' }), (c) => (cmdline = c), 'patient', 'create', '--site', 'idt', '--identity-file', '-', '--json');
    expect(cmdline).toContain('patient create --site idt --identity-file -');
    for (const v of identifiers) expect(cmdline).not.toContain(v);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const { id } = JSON.parse(r.stdout) as { id: string };
    for (const v of identifiers) expect(r.stdout).not.toContain(v);
    expect(await storedPatient(id)).toEqual({
      site: 'idt', family_name: jane.familyName, given_name: jane.givenName, dob: jane.dateOfBirth, nhs_number: jane.nhsNumber, sex: 'female',
    });
  });

  it('takes it from a file (--identity-file FILE), --sex beside it', async () => {
    const file = join(dir, 'john.json');
    const john = { familyName: 'Smythe-File', givenName: 'Jonathan', dateOfBirth: '1961-11-30' };
    await writeFile(file, JSON.stringify(john), { mode: 0o600 });
    let cmdline = '';
    const r = await adminWatched('', (c) => (cmdline = c), 'patient', 'create', '--site', 'idt', '--identity-file', file, '--sex', 'male');
    expect(cmdline).toContain(`--identity-file ${file} --sex male`);
    for (const v of Object.values(john)) expect(cmdline).not.toContain(v);
    expect(r.code).toBe(0);
    const ref = /patient (p-\d+) created/.exec(r.stdout)![1]!;
    expect(await storedPatient(ref)).toEqual({
      site: 'idt', family_name: john.familyName, given_name: john.givenName, dob: john.dateOfBirth, nhs_number: null, sex: 'male',
    });
  });

  it('refuses --family/--given/--dob/--nhs unless --allow-argv-identifiers, and then warns', async () => {
    const flags = ['--family', 'Argvson', '--given', 'Ada', '--dob', '1970-01-02', '--nhs', '4010232137'];
    const before = await patientCount();
    const refused = await admin('patient', 'create', '--site', 'idt', ...flags);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--allow-argv-identifiers');
    expect(refused.stderr).toContain('--identity-file');
    for (const v of ['Argvson', 'Ada ', '1970-01-02', '4010232137']) expect(refused.stderr).not.toContain(v);
    expect(await patientCount()).toBe(before);

    const allowed = await admin('patient', 'create', '--site', 'idt', ...flags, '--allow-argv-identifiers', '--json');
    expect(allowed.code).toBe(0);
    expect(allowed.stderr).toMatch(/^warning: the patient's identity was given on the command line .*other users/);
    const { id } = JSON.parse(allowed.stdout) as { id: string };
    expect(await storedPatient(id)).toMatchObject({ family_name: 'Argvson', given_name: 'Ada', dob: '1970-01-02', nhs_number: '4010232137' });
  });

  it.each([
    ['no identity and no terminal', [], '', 'no identity given'],
    ['stdin that is not JSON (and is not echoed)', ['--identity-file', '-'], 'Doe-Secret, 1950-03-04', 'stdin is not JSON'],
    ['a field it does not know', ['--identity-file', '-'], '{"familyName":"Doe-Secret","givenName":"J","dateOfBirth":"1950-03-04","nhs":"9434765919"}', 'unknown field "nhs"'],
    ['an NHS number as a JSON number', ['--identity-file', '-'], '{"familyName":"Doe-Secret","givenName":"J","dateOfBirth":"1950-03-04","nhsNumber":9434765919}', 'nhsNumber must be a string'],
    ['both a file and a flag', ['--identity-file', '-', '--nhs', '9434765919'], '{}', 'not both'],
    ['a file that is not there', ['--identity-file', '/nonexistent/identity.json'], '', 'cannot read --identity-file /nonexistent/identity.json (ENOENT)'],
  ])('refuses %s (exit 2)', async (_what, args, input, text) => {
    const before = await patientCount();
    const r = await adminWithStdin(input, 'patient', 'create', '--site', 'idt', ...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(text);
    expect(r.stderr).not.toContain('Doe-Secret');
    expect(r.stderr).not.toContain('1950-03-04');
    expect(await patientCount()).toBe(before);
  });

  it('answers an invalid identity without repeating it (exit 1)', async () => {
    const r = await adminWithStdin(JSON.stringify({ ...jane, nhsNumber: '9434765918' }), 'patient', 'create', '--site', 'idt', '--identity-file', '-');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('not a valid NHS number');
    for (const v of [...identifiers, '9434765918']) expect(r.stderr).not.toContain(v);
  });
});

describe('npm run admin', () => {
  it('creates a site and a gateway whose key works once and is never shown again', async () => {
    expect(await admin('site', 'create', 'cli', '--name', 'CLI site')).toMatchObject({ code: 0, stdout: expect.stringContaining('site "cli" created') });
    const created = await admin('gateway', 'create', '--site', 'cli', '--name', 'bedside', '--json');
    const gw = JSON.parse(created.stdout) as { id: number; key: string };
    expect(gw.key).toMatch(/^gk_[A-Za-z0-9_-]{43}$/);
    const socket = await svc.gateway(gw.key);
    expect(await socket.batch('1', readings('CLI-1', 0, 1))).toMatchObject({ accepted: 1 });

    const list = await admin('gateway', 'list', '--json');
    expect(list.stdout).toContain('"name": "bedside"');
    expect(list.stdout).not.toContain(gw.key);

    expect((await admin('gateway', 'revoke', String(gw.id))).code).toBe(0);
    expect((await socket.closed).code).toBe(1008);
    const twice = await admin('gateway', 'revoke', String(gw.id));
    expect(twice).toMatchObject({ code: 1, stderr: expect.stringContaining('revoked already') });
  });

  it('lists quarantined readings with their reason', async () => {
    await admin('site', 'create', 'q', '--name', 'Q');
    const gw = JSON.parse((await admin('gateway', 'create', '--site', 'q', '--name', 'g', '--json')).stdout) as { key: string };
    const socket = await svc.gateway(gw.key);
    await socket.batch('qb', [{ ...readings('CLI-Q', 0, 1)[0]!, value: -5 }]);
    socket.close();
    const q = await admin('quarantine', 'list', '--site', 'q', '--json');
    const rows = JSON.parse(q.stdout) as Array<{ code: string; batch_id: string; raw: { value: number } }>;
    expect(rows).toEqual([expect.objectContaining({ code: 'out_of_range', batch_id: 'qb', raw: expect.objectContaining({ value: -5 }) })]);
  });

  it('creates a clinician whose password comes from stdin, lists and disables them', async () => {
    await admin('site', 'create', 'ppl', '--name', 'People site');
    await admin('site', 'create', 'ppl2', '--name', 'People site 2');
    const password = 'correct horse battery staple';
    const created = await adminWithStdin(`${password}\n`, 'user', 'create', 'Dr.Who@Clinic.Example', '--name', 'Dr Who', '--role', 'clinician',
      '--site', 'ppl', '--site', 'ppl2', '--password-stdin');
    expect(created).toMatchObject({ code: 0, stdout: expect.stringContaining('"dr.who@clinic.example" (clinician) created; sites: ppl, ppl2') });
    expect(created.stdout + created.stderr).not.toContain(password);
    // The trailing newline of stdin is not part of the password.
    const cookie = await signIn(svc.httpUrl, 'dr.who@clinic.example', password);

    const list = await admin('user', 'list', '--json');
    const users = JSON.parse(list.stdout) as Array<Record<string, unknown>>;
    expect(users).toEqual([expect.objectContaining({ email: 'dr.who@clinic.example', name: 'Dr Who', role: 'clinician', sites: ['ppl', 'ppl2'], disabled_at: null })]);
    expect(list.stdout).not.toMatch(/scrypt|password/);

    expect(await admin('user', 'disable', 'dr.who@clinic.example')).toMatchObject({ code: 0, stdout: expect.stringContaining('disabled') });
    expect((await fetch(`${svc.httpUrl}/v1/session`, { headers: { cookie } })).status).toBe(401);
    expect((await postSession(svc.httpUrl, { email: 'dr.who@clinic.example', password })).status).toBe(401);
    expect((await admin('user', 'disable', 'dr.who@clinic.example')).stdout).toContain('disabled already');
    const again = await adminWithStdin(password, 'user', 'create', 'dr.who@clinic.example', '--name', 'X', '--role', 'admin', '--password-stdin');
    expect(again).toMatchObject({ code: 1, stderr: expect.stringContaining('exists already') });
  });

  it.each([
    [['user', 'create', 'a@clinic.example', '--name', 'A', '--role', 'clinician'], 'a long enough password', 2, '--password-stdin'],
    [['user', 'create', 'a@clinic.example', '--name', 'A', '--role', 'nurse', '--password-stdin'], 'a long enough password', 2, '--role takes'],
    [['user', 'create', 'a@clinic.example', '--name', 'A', '--role', 'clinician', '--password-stdin'], 'too short', 1, 'at least 12'],
    [['user', 'create', 'a@clinic.example', '--name', 'A', '--role', 'clinician', '--site', 'nowhere', '--password-stdin'], 'a long enough password', 1, 'no site "nowhere"'],
    [['user', 'create', 'not-an-email', '--name', 'A', '--role', 'clinician', '--password-stdin'], 'a long enough password', 1, 'not an email'],
    [['user', 'create', 'a@clinic.example', '--role', 'clinician', '--password-stdin'], 'a long enough password', 2, 'usage'],
    [['user', 'disable', 'nobody@clinic.example'], '', 1, 'no user "nobody@clinic.example"'],
  ])('explains %j (stdin %j, exit %i)', async (args, input, code, text) => {
    const r = await adminWithStdin(input, ...args);
    expect(r.code).toBe(code);
    expect(r.stderr).toContain(text);
    expect(r.stderr).not.toContain(input || 'no input');
  });

  it.each([
    [['site', 'create', 'Bad Code', '--name', 'x'], 1, 'a site code is'],
    [['site', 'create', 'cli2'], 2, 'usage'],
    [['gateway', 'create', '--site', 'nowhere', '--name', 'g'], 1, 'no site "nowhere"'],
    [['gateway', 'revoke', 'abc'], 2, 'usage'],
    [['gateway', 'revoke', '999999'], 1, 'no gateway with id 999999'],
    [['quarantine', 'list', '--limit', '0'], 2, '--limit'],
    [['launch', 'rockets'], 2, 'unknown command'],
  ])('explains %j (exit %i)', async (args, code, text) => {
    const r = await admin(...args);
    expect(r.code).toBe(code);
    expect(r.stderr).toContain(text);
  });
});

/** The cells of an admin table (header, rule, rows), cut at the rule's column spans. */
function tableCells(text: string): { header: string[]; rows: string[][] } {
  const lines = text.replace(/\n$/, '').split('\n');
  const spans = [...lines[1]!.matchAll(/-+/g)].map((m) => [m.index, m.index + m[0].length] as const);
  const cut = (line: string) => spans.map(([from, to]) => line.slice(from, to).trim());
  for (const line of lines.slice(2)) {
    // Every column is separated from the next by two spaces: nothing spills across a span
    // (a line ends at its last non-empty cell).
    for (const [from] of spans.slice(1)) if (line.length > from - 2) expect(line.slice(from - 2, from)).toBe('  ');
  }
  return { header: cut(lines[0]!), rows: lines.slice(2).map(cut) };
}

describe('npm run admin: what an operator reads', () => {
  beforeAll(async () => {
    await admin('site', 'create', 'tbl', '--name', 'Table site with a long name');
    await admin('site', 'create', 'tbl2', '--name', 'T2');
  });

  it('prints aligned tables with no index column', async () => {
    const r = await admin('site', 'list');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('(index)');
    expect(r.stdout).not.toMatch(/[┌│└]/);
    const { header, rows } = tableCells(r.stdout);
    expect(header).toEqual(['id', 'code', 'name', 'created_at']);
    expect(rows).toContainEqual([expect.stringMatching(/^\d+$/), 'tbl', 'Table site with a long name', expect.stringMatching(/^\d{4}-\d\d-\d\dT/)]);
    expect(rows).toContainEqual([expect.stringMatching(/^\d+$/), 'tbl2', 'T2', expect.stringMatching(/^\d{4}-\d\d-\d\dT/)]);
  });

  it.each([
    [['quarantine', 'list', '--site', 'tbl2'], '(no quarantined entries)'],
    [['patient', 'list', '--site', 'tbl2'], '(no patients)'],
  ])('says %j has nothing instead of drawing an empty table', async (args, text) => {
    expect(await admin(...args)).toMatchObject({ code: 0, stdout: `${text}\n` });
  });

  it('gives patient list --json its own types: devices an array, no risk null', async () => {
    const identity = { familyName: 'Typed', givenName: 'Tess', dateOfBirth: '1948-07-09' };
    const with1 = JSON.parse((await adminWithStdin(JSON.stringify(identity), 'patient', 'create', '--site', 'tbl', '--identity-file', '-', '--json')).stdout) as { id: string };
    const without = JSON.parse((await adminWithStdin(JSON.stringify({ ...identity, givenName: 'Tom' }), 'patient', 'create', '--site', 'tbl', '--identity-file', '-', '--json')).stdout) as { id: string };
    expect(await admin('patient', 'enrol', with1.id, 'TBL-2', '--create-device', '--type', 'icd')).toMatchObject({ code: 0, stdout: expect.stringContaining(`device TBL-2 enrolled to ${with1.id}`) });
    expect(await admin('patient', 'enrol', with1.id, 'TBL-1', '--create-device')).toMatchObject({ code: 0 });

    const r = await admin('patient', 'list', '--site', 'tbl', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      { id: with1.id, site: 'tbl', name: 'Tess Typed', dob: '1948-07-09', nhs: null, devices: ['TBL-1', 'TBL-2'], risk: null },
      { id: without.id, site: 'tbl', name: 'Tom Typed', dob: '1948-07-09', nhs: null, devices: [], risk: null },
    ]);

    const table = tableCells((await admin('patient', 'list', '--site', 'tbl')).stdout);
    expect(table.header).toEqual(['id', 'site', 'name', 'dob', 'nhs', 'devices', 'risk']);
    expect(table.rows).toEqual([
      [with1.id, 'tbl', 'Tess Typed', '1948-07-09', '', 'TBL-1 TBL-2', ''],
      [without.id, 'tbl', 'Tom Typed', '1948-07-09', '', '', ''],
    ]);
  });

  it('prints the device lists as tables too, or a line when there is nothing', async () => {
    await admin('site', 'create', 'tbl3', '--name', 'T3');
    const p = JSON.parse((await adminWithStdin(JSON.stringify({ familyName: 'Lister', givenName: 'Lou', dateOfBirth: '1950-01-02' }), 'patient', 'create', '--site', 'tbl3', '--identity-file', '-', '--json')).stdout) as { id: string };
    expect(await admin('patient', 'enrol', p.id, 'TBL-3', '--create-device', '--type', 'icd')).toMatchObject({ code: 0 });

    expect(await admin('device', 'pending', '--site', 'tbl3')).toMatchObject({ code: 0, stdout: '(no serials pending)\n' });
    expect(await admin('device', 'history', 'TBL-3')).toMatchObject({ code: 0, stdout: 'device TBL-3: site "tbl3" (never moved)\n' });
    expect(await admin('device', 'events', 'TBL-3')).toMatchObject({ code: 0, stdout: `(no lifecycle events for ${p.id}'s devices)\n` });

    expect(await admin('device', 'event', 'TBL-3', 'lead_revision', '--at', '2026-01-05T10:00:00Z', '--leads', 'rv,shock')).toMatchObject({ code: 0 });
    const events = await admin('device', 'events', 'TBL-3');
    expect(events.code).toBe(0);
    expect(events.stdout).not.toContain('(index)');
    const table = tableCells(events.stdout);
    expect(table.header).toEqual(['id', 'at', 'kind', 'serial', 'replaces', 'leads', 'metrics', 'source']);
    expect(table.rows).toEqual([[expect.stringMatching(/^e-\d+$/), '2026-01-05T10:00:00.000Z', 'lead_revision', 'TBL-3', '', 'rv shock', '', 'admin']]);
  });

  it('lists every flag of quarantine list in its usage, --json too', async () => {
    const r = await admin('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('quarantine list [--limit N] [--site <code>] [--code <reason>] [--json]');
  });

  describe('patient enrol says which of patient and device is the problem', () => {
    let patient: string;
    beforeAll(async () => {
      const created = await adminWithStdin(JSON.stringify({ familyName: 'Enrol', givenName: 'Eve', dateOfBirth: '1950-01-02' }),
        'patient', 'create', '--site', 'tbl2', '--identity-file', '-', '--json');
      patient = (JSON.parse(created.stdout) as { id: string }).id;
      expect(await admin('patient', 'enrol', patient, 'TBL2-OWN', '--create-device')).toMatchObject({ code: 0 });
      // A device of the other site, as a reading through one of its gateways leaves it.
      await sql`INSERT INTO devices (serial, site_id) SELECT 'TBL-OTHER', id FROM sites WHERE code = 'tbl'`.execute(tdb.db);
    });

    it('a device never heard from: no such device, and --create-device is the way', async () => {
      const r = await admin('patient', 'enrol', patient, 'NEVER-SEEN-1');
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('no such device NEVER-SEEN-1');
      expect(r.stderr).toContain('--create-device');
      expect(r.stderr).toContain('"tbl2"');
    });

    it('a patient that does not exist', async () => {
      const r = await admin('patient', 'enrol', 'p-99999999', 'TBL-OTHER');
      expect(r).toMatchObject({ code: 1, stderr: expect.stringContaining('no patient p-99999999 at any site') });
    });

    it('a device of another site than the patient: both sites named', async () => {
      const r = await admin('patient', 'enrol', patient, 'TBL-OTHER');
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`device TBL-OTHER belongs to site "tbl" but patient ${patient} to site "tbl2"`);
      const stillThere = await admin('patient', 'list', '--site', 'tbl2', '--json');
      expect(JSON.parse(stillThere.stdout)).toEqual([expect.objectContaining({ id: patient, devices: ['TBL2-OWN'] })]);
    });
  });
});
