import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import { seg } from '../helpers/mllp.ts';

// A device's "recent" counters count since its statistics were reset, so a shock stays in
// every transmission until the next clinic visit: it must alert once, not at each one.
// The messages are written in the shape of real vendor IDCO messages (IHE PCD-09), with
// invented serials and values.

let tdb: TestDatabase;
let svc: RunningService;
let key: string;
let control = 0;

const day = (d: number) => `201102${String(d).padStart(2, '0')}010000`;
const message = (serial: string, obx: readonly string[], at: string) => [
  `MSH|^~\\&|CARELINK^MDT|MDT|CARDIOTEL|CLINIC|${at}||ORU^R01^ORU_R01|MDT-${++control}|P|2.5`,
  `PID|||model:D284VRC/serial:${serial}^^^MDT^U`,
  `OBR|1||${control}|Remote Follow-up|||${at}`,
  `OBX|1|DTM|721025^MDC_IDC_SESS_DTM^MDC|1|${at}||||||F`,
  ...obx.map((o, i) => o.replace('OBX|#|', `OBX|${i + 2}|`)),
].join('\r');

/** The counters of one transmission: shocks, ATP, and a VT episode counter with its period start. */
const counters = (shocks: number, atp: number, vt?: { count: number; since: string }) => [
  `OBX|#|NM|737824^MDC_IDC_STAT_TACHYTHERAPY_SHOCKS_DELIVERED_RECENT^MDC|1|${shocks}|{shocks}|||||F`,
  `OBX|#|NM|737888^MDC_IDC_STAT_TACHYTHERAPY_ATP_DELIVERED_RECENT^MDC|1|${atp}|{seq}|||||F`,
  ...(vt ? [
    'OBX|#|CWE|737952^MDC_IDC_STAT_EPISODE_TYPE^MDC|1|Epis_VT^VT||||||F',
    `OBX|#|NM|738000^MDC_IDC_STAT_EPISODE_RECENT_COUNT^MDC|1|${vt.count}||||||F`,
    `OBX|#|DTM|738017^MDC_IDC_STAT_EPISODE_RECENT_COUNT_DTM_START^MDC|1|${vt.since}||||||F`,
  ] : []),
];

const post = async (body: string) => {
  const res = await fetch(`${svc.httpUrl}/v1/idco`, { method: 'POST', headers: { 'content-type': 'application/hl7-v2', authorization: `Bearer ${key}` }, body });
  expect(res.status).toBe(200);
  const text = await res.text();
  // The answer comes once the readings commit; their alerts are applied after.
  await svc.app.alertApplier.settle();
  return text;
};

const readingsOf = async (device: string, metric: string) =>
  (await sql<{ value: number }>`
    SELECT r.value FROM readings r JOIN devices d ON d.id = r.device_id JOIN metrics m ON m.id = r.metric
    WHERE d.serial = ${device} AND m.name = ${metric} ORDER BY r.at`.execute(tdb.db)).rows.map((r) => r.value);

const alertsOf = async (device: string, kind: string) =>
  (await sql<{ id: number; events: string[] }>`
    SELECT a.id, array_agg(e.type ORDER BY e.cursor) AS events FROM alerts a JOIN devices d ON d.id = a.device_id
    JOIN alert_events e ON e.alert_id = a.id WHERE d.serial = ${device} AND a.kind = ${kind} GROUP BY a.id ORDER BY a.id`.execute(tdb.db)).rows;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  key = (await seedGateway(tdb.db, 'counters')).key;
  svc = await startService(tdb.db, tdb.url, { ENGINE_CONNECTIVITY_CHECK_MS: '3600000' });
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

describe('IDCO "recent" counters', () => {
  it('alert once for a shock repeated in three transmissions, and again after a reset', async () => {
    const device = 'MDT-PZC100001';
    for (const d of [1, 2, 3]) expect(seg(await post(message('PZC100001', counters(1, 2), day(d))), 'MSA')?.[1]).toBe('AA');
    expect(await readingsOf(device, 'shocks_delivered')).toEqual([1, 0, 0]);
    expect(await readingsOf(device, 'atp_delivered')).toEqual([2, 0, 0]);
    await expect.poll(async () => (await alertsOf(device, 'shock_delivered')).length).toBe(1);
    // The repeats changed nothing of the alert.
    expect((await alertsOf(device, 'shock_delivered'))[0]!.events).toEqual(['opened']);

    // A clinic visit reset the counters (the value fell), then one new shock: counted.
    await post(message('PZC100001', counters(0, 0), day(10)));
    await post(message('PZC100001', counters(1, 0), day(12)));
    expect(await readingsOf(device, 'shocks_delivered')).toEqual([1, 0, 0, 0, 1]);
  });

  it('count a new counting period in full even when the value did not fall', async () => {
    const device = 'MDT-PZC100002';
    await post(message('PZC100002', counters(0, 0, { count: 1, since: '20110101000000' }), day(1)));
    await post(message('PZC100002', counters(0, 0, { count: 1, since: '20110101000000' }), day(2)));
    // Reset at a visit on the 5th, and one new VT episode since: the same value, a new period.
    await post(message('PZC100002', counters(0, 0, { count: 1, since: '20110205000000' }), day(8)));
    expect(await readingsOf(device, 'vt_episodes')).toEqual([1, 0, 1]);
    await expect.poll(async () => (await alertsOf(device, 'ventricular_arrhythmia')).length).toBeGreaterThan(0);
  });

  it('give the same readings when a transmission is resent, even after a later one arrived', async () => {
    const device = 'MDT-PZC100003';
    const first = message('PZC100003', counters(2, 0), day(1));
    await post(first);
    await post(message('PZC100003', counters(3, 0), day(2)));
    // The first again (an interface engine's retry): nothing new, and the second's difference stands.
    expect(seg(await post(first), 'MSA')?.[3]).toMatch(/^accepted 0, duplicates 2,/);
    expect(await readingsOf(device, 'shocks_delivered')).toEqual([2, 1]);
  });

  it('quarantine a counter that is not a count, and store the rest', async () => {
    const ack = await post(message('PZC100004', [
      'OBX|#|NM|737824^MDC_IDC_STAT_TACHYTHERAPY_SHOCKS_DELIVERED_RECENT^MDC|1|1.5|{shocks}|||||F',
      'OBX|#|NM|737888^MDC_IDC_STAT_TACHYTHERAPY_ATP_DELIVERED_RECENT^MDC|1|4|s|||||F',
      'OBX|#|NM|737856^MDC_IDC_STAT_TACHYTHERAPY_SHOCKS_ABORTED_RECENT^MDC|1|1|{shocks}|||||F',
    ], day(1)));
    expect(seg(ack, 'MSA')?.[3]).toMatch(/unmapped 2$/);
    const q = await sql<{ message: string }>`SELECT message FROM quarantine WHERE batch_id = ${`MDT-${control}`} ORDER BY idx`.execute(tdb.db);
    expect(q.rows.map((r) => r.message)).toEqual([expect.stringMatching(/bad_value: "1.5" is not a count/), expect.stringMatching(/unit_mismatch: a count cannot be in "s"/)]);
    const aborted = await sql<{ value: number }>`SELECT value FROM device_counters WHERE serial = 'MDT-PZC100004'`.execute(tdb.db);
    expect(aborted.rows).toEqual([{ value: 1 }]);
  });
});

describe('IDCO episodes', () => {
  // In the shape of a vendor's VT transmission: two episodes named by vendor type only, a
  // therapy and its result, lead status and programmed amplitudes.
  const vt = (at: string) => message('PZC200001', [
    `OBX|#|CWE|739600^MDC_IDC_EPISODE_VENDOR_TYPE^MDC|2|772103^MDC_IDC_ENUM_EPISODE_VENDOR_TYPE_MDT-Epis_Fast_VT^MDC||||||F|||${at}`,
    `OBX|#|CWE|739600^MDC_IDC_EPISODE_VENDOR_TYPE^MDC|1|772103^MDC_IDC_ENUM_EPISODE_VENDOR_TYPE_MDT-Epis_NS_VT^MDC||||||F|||${at}`,
    `OBX|#|TX|739680^MDC_IDC_EPISODE_DETECTION_THERAPY_DETAILS^MDC|2|3 ATP, 1x 35J||||||F|||${at}`,
    `OBX|#|CWE|739696^MDC_IDC_EPISODE_THERAPY_RESULT^MDC|2|755137^MDC_IDC_ENUM_EPISODE_THERAPY_RESULT_Successful^MDC||||||F|||${at}`,
    `OBX|#|NM|729985^MDC_IDC_SET_LEADCHNL_RV_PACING_AMPLITUDE^MDC|1|3.50|V|||||F|||${at}`,
    `OBX|#|CWE|720970^MDC_IDC_LEAD_CONNECTION_STATUS^MDC|1|Connected^Connected||||||F|||${at}`,
  ], at);

  it('are stored once each and a ventricular one raises its alert; a resend adds nothing', async () => {
    const device = 'MDT-PZC200001';
    const ack = await post(vt(day(2)));
    expect(seg(ack, 'MSA')?.[3]).toBe('accepted 2, duplicates 0, rejected 0, unmapped 0');
    const episodes = await sql<{ class: string; therapy: string; result: string }>`
      SELECT class, therapy, result FROM device_episodes WHERE serial = ${device} ORDER BY class`.execute(tdb.db);
    expect(episodes.rows).toEqual([
      { class: 'nsvt', therapy: '', result: '' },
      { class: 'vt', therapy: '3 ATP, 1x 35J', result: expect.stringContaining('Successful') },
    ]);
    expect(await readingsOf(device, 'vt_episodes')).toEqual([1]);
    expect(await readingsOf(device, 'nsvt_episodes')).toEqual([1]);
    await expect.poll(async () => (await alertsOf(device, 'ventricular_arrhythmia')).length).toBe(1);

    expect(seg(await post(vt(day(2))), 'MSA')?.[3]).toBe('accepted 0, duplicates 2, rejected 0, unmapped 0');
    expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM device_episodes WHERE serial = ${device}`.execute(tdb.db)).rows[0]!.n).toBe(2);
    const settings = await sql<{ ref: string; value: string }>`SELECT ref, value FROM device_observations WHERE serial = ${device} ORDER BY ref`.execute(tdb.db);
    expect(settings.rows).toEqual([
      { ref: 'MDC_IDC_LEAD_CONNECTION_STATUS', value: 'Connected^Connected' },
      { ref: 'MDC_IDC_SET_LEADCHNL_RV_PACING_AMPLITUDE', value: '3.50' },
    ]);
  });
});
