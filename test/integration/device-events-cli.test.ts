import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import type { Reading } from '../helpers/gateway.ts';
import { runCli, type CliResult } from '../helpers/cli.ts';
import { testVault } from '../helpers/keys.ts';
import { createPatient, enrolDevice } from '../../src/patients/service.ts';

// `device event` / `device events` from the command line: the API's checks, audited, and the
// running service (another process) takes the event in on its next recovery pass, even when
// no reading follows it yet.

const DAY = 86_400_000;
const T0 = Math.floor(Date.now() / DAY) * DAY - 120 * DAY;
let tdb: TestDatabase;
let svc: RunningService;
let key: string;
let seq = 0;

const admin = (...args: string[]): Promise<CliResult> => runCli('src/admin/cli.ts', args, tdb.url);

async function send(device: string, from: number, days: number, ohm: (d: number) => number): Promise<void> {
  const gw = await svc.gateway(key);
  for (let d0 = from; d0 < from + days; d0 += 30) {
    const batch: Reading[] = [];
    for (let d = d0; d < Math.min(from + days, d0 + 30); d++) batch.push({ device, seq: ++seq, at: new Date(T0 + d * DAY).toISOString(), metric: 'rv_lead_impedance', value: ohm(d) });
    expect((await gw.batch(`b-${seq}`, batch)).type).toBe('ack');
  }
  gw.close();
}

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  key = (await seedGateway(tdb.db, 'cli-ev')).key;
  svc = await startService(tdb.db, tdb.url);
  const vault = await testVault(tdb.db);
  const site = (await sql<{ id: number }>`SELECT id FROM sites WHERE code = 'cli-ev'`.execute(tdb.db)).rows[0]!.id;
  const id = await createPatient(tdb.db, vault, { site: 'cli-ev', familyName: 'Cli', givenName: 'Ev', dateOfBirth: '1950-01-01' }, Date.now());
  await enrolDevice(tdb.db, vault, { id, siteId: site }, 'CLI-EV-1', { createDevice: true, deviceType: 'pacemaker' });
}, 60_000);
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

describe('device event (admin CLI)', () => {
  it('records a reprogramming that the running service takes in before the next reading', async () => {
    await send('CLI-EV-1', 0, 90, (d) => 600 + 15 * Math.sin(d * 2.1));
    const at = new Date(T0 + 90 * DAY - 3_600_000).toISOString();
    const res = await admin('device', 'event', 'CLI-EV-1', 'reprogramming', '--at', at, '--leads', 'rv');
    expect(res, res.stderr).toMatchObject({ code: 0, stdout: expect.stringContaining('reprogramming of CLI-EV-1 recorded') });
    // The service's recovery pass rebuilds the device with its events (about a second).
    await expect.poll(async () => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM engine_pending`.execute(tdb.db)).rows[0]!.n, { timeout: 15_000 }).toBe(0);
    // The new vector reads 1000 Ohm: no jump against the old vector's baseline.
    await send('CLI-EV-1', 90, 20, (d) => 1000 + 15 * Math.sin(d * 2.1));
    const alerts = await sql<{ n: number }>`SELECT count(*)::int AS n FROM alerts WHERE kind = 'lead_integrity'`.execute(tdb.db);
    expect(alerts.rows[0]!.n).toBe(0);
    const audit = await sql<{ detail: { via: string; kind: string } }>`SELECT detail FROM audit_log WHERE action = 'patient.device_event.create'`.execute(tdb.db);
    expect(audit.rows.map((r) => [r.detail.kind, r.detail.via])).toEqual([['reprogramming', 'admin-cli']]);

    const listed = await admin('device', 'events', 'CLI-EV-1', '--json');
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as { events: Array<{ kind: string; leads: string[]; source: string }> }).events)
      .toMatchObject([{ kind: 'reprogramming', leads: ['rv'], source: 'admin' }]);
  });

  it('refuses bad input with the usage (exit 2) and what the records forbid with a reason (exit 1), storing nothing more', async () => {
    const at = new Date(T0).toISOString();
    for (const args of [
      ['device', 'event', 'CLI-EV-1', 'transplant', '--at', at],
      ['device', 'event', 'CLI-EV-1', 'implant'],
      ['device', 'event', 'CLI-EV-1', 'implant', '--at', 'last tuesday'],
      ['device', 'event', 'CLI-EV-1', 'lead_revision', '--at', at],
      ['device', 'event', 'CLI-EV-1', 'implant', '--at', at, '--leads', 'rv,heart'],
      ['device', 'event', 'CLI EV;$(reboot)', 'implant', '--at', at],
      ['device', 'event', 'CLI-EV-1', 'implant', '--at', at, 'extra'],
    ]) {
      const res = await admin(...args);
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr).toContain('usage:');
    }
    expect(await admin('device', 'event', 'NO-SUCH', 'implant', '--at', at)).toMatchObject({ code: 1, stderr: expect.stringContaining('no device NO-SUCH') });
    expect((await admin('device', 'event', 'CLI-EV-1', 'implant', '--at', at)).code).toBe(0);
    expect(await admin('device', 'event', 'CLI-EV-1', 'implant', '--at', at)).toMatchObject({ code: 1, stderr: expect.stringContaining('recorded already') });
    const n = await sql<{ n: number }>`SELECT count(*)::int AS n FROM device_events`.execute(tdb.db);
    expect(n.rows[0]!.n).toBe(2);
  });
});
