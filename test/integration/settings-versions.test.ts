import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import type { Reading } from '../helpers/gateway.ts';
import { sameOrigin, seedUser, signIn } from '../helpers/people.ts';
import { createPatient, enrolDevice } from '../../src/patients/service.ts';
import { testVault } from '../helpers/keys.ts';
import { replay, selectDevices } from '../../src/replay/replay.ts';

// Engine settings are versioned by the time they take effect from: the live service scores a
// reading with the settings in force when it arrives, and a replay of the past (a late
// reading's, or the what-if replay's) scores each stored reading with the settings in force
// when it was received: a change of settings does not rewrite what was scored before it.

const DAY = 86_400_000;
const T0 = Math.floor(Date.now() / DAY) * DAY - 40 * DAY;
let tdb: TestDatabase;
let svc: RunningService;
let key: string;
let clinician: string;
let patient: string;
let seq = 0;

async function send(readings: Array<Omit<Reading, 'device' | 'seq'>>): Promise<void> {
  const gw = await svc.gateway(key);
  expect((await gw.batch(`v-${seq}`, readings.map((r) => ({ device: 'SV-1', seq: ++seq, ...r })))).type).toBe('ack');
  gw.close();
}

const afAlerts = async () => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM alerts WHERE kind = 'af_burden'`.execute(tdb.db)).rows[0]!.n;
const afTriggers = async () => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM alert_triggers WHERE kind = 'af_burden'`.execute(tdb.db)).rows[0]!.n;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  key = (await seedGateway(tdb.db, 'sv')).key;
  svc = await startService(tdb.db, tdb.url, { ENGINE_SNAPSHOT_DAYS: '3' });
  clinician = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'clinician', ['sv'])).email);
  const vault = await testVault(tdb.db);
  const site = (await sql<{ id: number }>`SELECT id FROM sites WHERE code = 'sv'`.execute(tdb.db)).rows[0]!.id;
  const id = await createPatient(tdb.db, vault, { site: 'sv', familyName: 'Versions', givenName: 'Val', dateOfBirth: '1950-01-01' }, Date.now());
  await enrolDevice(tdb.db, vault, { id, siteId: site }, 'SV-1', { createDevice: true, deviceType: 'pacemaker' });
  patient = `p-${id}`;
}, 60_000);
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

describe('engine settings versioned by event time', () => {
  it('replays a late reading with each reading under the settings in force when it was received', async () => {
    // 30 days of 3 h of AF a day (odd days), below the default 6 h: no alert.
    await send(Array.from({ length: 15 }, (_, i) => ({ at: new Date(T0 + (2 * i + 1) * DAY).toISOString(), metric: 'af_burden', value: 3 })));
    expect(await afAlerts()).toBe(0);
    // The clinic lowers the patient's AF threshold to 2 h, from now.
    const put = await fetch(`${svc.httpUrl}/v1/patients/${patient}/engine-settings`, {
      method: 'PUT', headers: { cookie: clinician, 'content-type': 'application/json', ...sameOrigin(svc.httpUrl) }, body: JSON.stringify({ af: { burdenHours: 2 } }),
    });
    expect(put.status).toBe(200);
    // A late reading of day 2, received after the change: the device is replayed from before
    // it. The late reading is judged with the new threshold and opens an alert; the 14 days
    // after it, received before the change, keep the verdict they had (no trigger each).
    await send([{ at: new Date(T0 + 2 * DAY).toISOString(), metric: 'af_burden', value: 3 }]);
    await expect.poll(async () => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM engine_pending`.execute(tdb.db)).rows[0]!.n, { timeout: 15_000 }).toBe(0);
    expect(await afAlerts()).toBe(1);
    expect(await afTriggers()).toBe(1);
    // The next day's reading, received after the change, is judged with it too.
    await send([{ at: new Date(T0 + 31 * DAY).toISOString(), metric: 'af_burden', value: 3 }]);
    expect(await afTriggers()).toBe(2);
    const versions = await sql<{ n: number }>`SELECT count(*)::int AS n FROM engine_settings_history`.execute(tdb.db);
    expect(versions.rows[0]!.n).toBe(1);
  });

  it('is reproduced by the what-if replay, which scores each reading under the settings in force at its time', async () => {
    const sel = { patients: [patient] };
    const result = await replay(tdb.db, await selectDevices(tdb.db, sel), sel, null);
    expect(result.kinds.af_burden).toMatchObject({ stored: 1, current: 1, reproduced: 1 });
    // Under the new threshold over the whole history, the alert would have opened on day 1.
    const proposed = await replay(tdb.db, await selectDevices(tdb.db, sel), sel, { af: { burdenHours: 2 } });
    expect(proposed.kinds.af_burden).toMatchObject({ current: 1, proposed: 1, gained: 1, lost: 1 });
    expect(result.unmatched).toEqual({ replayOnly: [], storedOnly: [] });
  });
});
