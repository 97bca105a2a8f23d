import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import { readings, type Reading } from '../helpers/gateway.ts';
import { runCli, type CliResult } from '../helpers/cli.ts';
import { seedUser, signIn } from '../helpers/people.ts';
import { testVault } from '../helpers/keys.ts';
import { createPatient, enrolDevice } from '../../src/patients/service.ts';
import { patientRef } from '../../src/patients/identity.ts';

// `device move <serial> --site <code>`: the device, its readings, alerts and engine state go to
// another site; refused while it is enrolled; audited and kept in its history. The running
// service hears of it (NOTIFY) and lets only the new site's gateways send the serial.

const DAY = 86_400_000;
let tdb: TestDatabase;
let svc: RunningService;
let from: Awaited<ReturnType<typeof seedGateway>>;
let to: Awaited<ReturnType<typeof seedGateway>>;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  svc = await startService(tdb.db, tdb.url);
  from = await seedGateway(tdb.db, 'oldsite');
  to = await seedGateway(tdb.db, 'newsite');
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

const admin = (...args: string[]): Promise<CliResult> => runCli('src/admin/cli.ts', args, tdb.url);
const siteId = async (code: string) => (await tdb.db.selectFrom('sites').select('id').where('code', '=', code).executeTakeFirstOrThrow()).id;

describe('device move', () => {
  it('is refused while enrolled, then moves the device with its readings and alerts, audited, in its history', async () => {
    const oldGw = await svc.gateway(from.key);
    const t0 = Math.floor(Date.now() / DAY) * DAY - 10 * DAY;
    const rs: Reading[] = Array.from({ length: 10 }, (_, d) => ({ device: 'MOVE-1', seq: d, at: new Date(t0 + d * DAY).toISOString(), metric: 'vt_episodes', value: d === 9 ? 1 : 0 }));
    expect(await oldGw.batch('b0', rs)).toMatchObject({ accepted: 10 });
    const device = await tdb.db.selectFrom('devices').select(['id']).where('serial', '=', 'MOVE-1').executeTakeFirstOrThrow();
    const alertSites = async () => (await tdb.db.selectFrom('alerts').select('site_id').where('device_id', '=', device.id).execute()).map((a) => a.site_id);
    expect((await alertSites()).length).toBeGreaterThan(0);

    const vault = await testVault(tdb.db);
    const patient = await createPatient(tdb.db, vault, { site: 'oldsite', familyName: 'Mover', givenName: 'Ada', dateOfBirth: '1951-02-03' }, Date.now());
    await enrolDevice(tdb.db, vault, { id: patient, siteId: await siteId('oldsite') }, 'MOVE-1');

    const refused = await admin('device', 'move', 'MOVE-1', '--site', 'newsite');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`device MOVE-1 is enrolled to patient ${patientRef(patient)} of site "oldsite"`);
    expect(refused.stderr).toContain(`DELETE /v1/patients/${patientRef(patient)}/devices/MOVE-1`);
    expect((await tdb.db.selectFrom('devices').select('site_id').where('id', '=', device.id).executeTakeFirstOrThrow()).site_id).toBe(await siteId('oldsite'));
    expect(await tdb.db.selectFrom('device_site_history').selectAll().execute()).toEqual([]);

    // Unenrol as the refusal says, then move.
    const cookie = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'admin')).email);
    const un = await fetch(`${svc.httpUrl}/v1/patients/${patientRef(patient)}/devices/MOVE-1`, { method: 'DELETE', headers: { cookie, origin: svc.httpUrl } });
    expect(un.status).toBe(204);
    const moved = await admin('device', 'move', 'MOVE-1', '--site', 'newsite');
    expect(moved).toMatchObject({ code: 0 });
    expect(moved.stdout).toContain('device MOVE-1 moved from site "oldsite" to site "newsite"');

    const [oldId, newId] = [await siteId('oldsite'), await siteId('newsite')];
    expect((await tdb.db.selectFrom('devices').select('site_id').where('id', '=', device.id).executeTakeFirstOrThrow()).site_id).toBe(newId);
    expect(new Set(await alertSites())).toEqual(new Set([newId]));
    expect(await tdb.db.selectFrom('device_site_history').select(['device_id', 'from_site_id', 'to_site_id', 'moved_by_user_id', 'moved_via']).execute())
      .toEqual([{ device_id: device.id, from_site_id: oldId, to_site_id: newId, moved_by_user_id: null, moved_via: 'admin-cli' }]);
    const audit = await sql<{ device_id: number; detail: unknown }>`SELECT device_id, detail FROM audit_log WHERE action = 'device.move'`.execute(tdb.db);
    expect(audit.rows).toEqual([{ device_id: device.id, detail: { fromSiteId: oldId, toSiteId: newId, via: 'admin-cli' } }]);
    const history = await admin('device', 'history', 'MOVE-1', '--json');
    expect(JSON.parse(history.stdout)).toMatchObject({ serial: 'MOVE-1', site: 'newsite', moves: [{ from: 'oldsite', to: 'newsite', via: 'admin-cli' }] });
    expect(await admin('device', 'move', 'MOVE-1', '--site', 'newsite')).toMatchObject({ code: 1, stderr: expect.stringContaining('is at site "newsite" already') });

    // The service had MOVE-1 cached at the old site; the move's NOTIFY makes it forget. Until
    // the notification arrives the new site is refused (and quarantined, so nothing is lost):
    // resend until accepted, as a gateway would.
    const newGw = await svc.gateway(to.key);
    const next = readings('MOVE-1', 20, 1);
    let ack: Record<string, unknown> = {};
    for (let i = 0; i < 200 && ack.accepted !== 1; i++) {
      ack = await newGw.batch(`n${i}`, next);
      if (ack.accepted !== 1) await new Promise((r) => setTimeout(r, 25));
    }
    expect(ack).toMatchObject({ accepted: 1, rejected: [] });
    expect(await oldGw.batch('b1', readings('MOVE-1', 21, 1))).toMatchObject({ accepted: 0, rejected: [{ index: 0, code: 'forbidden_device' }] });
    // Every reading stays with the device: the ten from the old site and the new one.
    expect((await tdb.db.selectFrom('readings').select('seq').where('device_id', '=', device.id).execute()).length).toBe(11);
    oldGw.close();
    newGw.close();
  });
});

describe('hostile input to the new commands', () => {
  const sqlish = "x'; DROP TABLE devices;--";
  const long = 'A'.repeat(65);
  const cases: Array<[string[], number, string]> = [
    [['site', 'policy', 'oldsite', 'sometimes'], 2, 'site policy <code> auto|pending'],
    [['site', 'policy', sqlish, 'pending'], 2, 'is not a site code'],
    [['site', 'policy', 'nowhere', 'pending'], 1, 'no site "nowhere"'],
    [['site', 'policy', 'oldsite'], 2, 'site policy <code> auto|pending'],
    [['device', 'pending', '--site', 'nowhere'], 1, 'no site "nowhere"'],
    [['device', 'pending', '--site', `${'a'.repeat(40)}`], 2, 'is not a site code'],
    [['device', 'approve', sqlish], 2, 'is not a device serial'],
    [['device', 'approve', long], 2, 'is not a device serial'],
    [['device', 'approve', 'NOT-HELD-1'], 1, 'no serial NOT-HELD-1 waiting for a decision'],
    [['device', 'approve'], 2, 'device approve <serial>'],
    [['device', 'reject', 'OK-1', '--site', sqlish], 2, 'is not a site code'],
    [['device', 'reject', 'OK-1', '--site', 'nowhere'], 1, 'no site "nowhere"'],
    [['device', 'move', 'MOVE-1'], 2, '--site <code> is required'],
    [['device', 'move', sqlish, '--site', 'oldsite'], 2, 'is not a device serial'],
    [['device', 'move', 'NO-SUCH-1', '--site', 'oldsite'], 1, 'no device NO-SUCH-1 at any site'],
    [['device', 'move', 'MOVE-1', '--site', 'nowhere'], 1, 'no site "nowhere"'],
    [['device', 'move', 'MOVE-1', 'extra', '--site', 'oldsite'], 2, 'too many arguments'],
    [['device', 'history', long], 2, 'is not a device serial'],
    [['device', 'frobnicate'], 2, 'unknown command'],
  ];
  it.each(cases)('admin %j exits %i saying %j', async (args, code, says) => {
    const res = await admin(...args);
    expect(res.code).toBe(code);
    expect(res.stderr).toContain(says);
    expect(res.stderr).toMatch(code === 2 ? /^usage: / : /^error: /);
    // One readable line of what was typed, never the whole of a long value.
    expect(res.stderr).not.toContain(long);
  });
  it('left the tables as they were', async () => {
    expect(await tdb.db.selectFrom('devices').select('serial').where('serial', 'like', 'x%').execute()).toEqual([]);
    expect((await tdb.db.selectFrom('sites').select(['code', 'registration_policy']).orderBy('code').execute()))
      .toEqual([{ code: 'newsite', registration_policy: 'auto' }, { code: 'oldsite', registration_policy: 'auto' }]);
    expect(await tdb.db.selectFrom('pending_devices').selectAll().execute()).toEqual([]);
  });
});
