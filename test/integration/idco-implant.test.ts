import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import { seg } from '../helpers/mllp.ts';
import { seedUser, signIn } from '../helpers/people.ts';
import { testVault } from '../helpers/keys.ts';
import { createPatient, enrolDevice } from '../../src/patients/service.ts';
import { recordLifecycle } from '../../src/store/lifecycle.ts';
import { IngestService } from '../../src/ingest/service.ts';
import type { GatewayIdentity } from '../../src/auth/gateways.ts';
import type { IdcoImplant } from '../../src/ingest/idco/implant.ts';

// An IDCO message's implant date becomes the enrolled device's implant lifecycle event, once;
// its statistics become readings at the end of their periods. Messages are written in the
// shape of real vendor IDCO messages (IHE PCD-09), with invented serials and values.

const DAY = 86_400_000;
const T0 = Math.floor(Date.now() / DAY) * DAY - 200 * DAY;
const day = (d: number) => T0 + d * DAY;
const hl7 = (ms: number) => new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14);
const hl7Date = (ms: number) => hl7(ms).slice(0, 8);
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

let tdb: TestDatabase;
let svc: RunningService;
let key: string;
let siteId: number;
let control = 0;

/** A remote session of the device `serial` (BIO-<serial>) at `session`, with the given OBX (`OBX|#|` is numbered). */
const message = (serial: string, session: number, obx: readonly string[]) => {
  const id = `BIO-${++control}`;
  return {
    id,
    body: [
      `MSH|^~\\&|HMSC^BIO|BIO|CARDIOTEL|CLINIC|${hl7(session + 3_600_000)}+0000||ORU^R01^ORU_R01|${id}|P|2.6`,
      `PID|||model:Intica 7 HF-T/serial:${serial}^^^BIO^U`,
      `OBR|1||${control}|Remote Follow-up|||${hl7(session)}`,
      `OBX|1|DTM|721025^MDC_IDC_SESS_DTM^MDC|1|${hl7(session)}||||||F`,
      ...obx.map((o, i) => o.replace('OBX|#|', `OBX|${i + 2}|`)),
    ].join('\r'),
  };
};

const implantDt = (ms: number) => `OBX|#|DT|720901^MDC_IDC_DEV_IMPLANT_DT^MDC||${hl7Date(ms)}||||||F`;
const leadImplantDt = (sub: string, ms: number) => `OBX|#|DT|720964^MDC_IDC_LEAD_IMPLANT_DT^MDC|${sub}|${hl7Date(ms)}||||||F`;
const stat = (code: string, v: string, unit = '%') => `OBX|#|NM|${code}^MDC||${v}|${unit}|||||F`;
const dtm = (code: string, ms: number | string) => `OBX|#|DTM|${code}^MDC||${typeof ms === 'string' ? ms : hl7(ms)}||||||F`;
const VOLTS = 'OBX|#|NM|721344^MDC_IDC_MSMT_BATTERY_VOLTAGE^MDC|1|2.95|V|||||F';

const post = async (body: string) => {
  const res = await fetch(`${svc.httpUrl}/v1/idco`, { method: 'POST', headers: { 'content-type': 'application/hl7-v2', authorization: `Bearer ${key}` }, body });
  expect(res.status).toBe(200);
  const ack = await res.text();
  expect(seg(ack, 'MSA')?.[1]).toBe('AA');
  return seg(ack, 'MSA')?.[3] ?? '';
};

const implantsOf = async (device: string) =>
  (await sql<{ at: Date; source: string; recorded_by: number | null; leads: string[] }>`
    SELECT x.at, x.source, x.recorded_by, x.leads FROM device_events x JOIN devices d ON d.id = x.device_id
    WHERE d.serial = ${device} AND x.kind = 'implant'`.execute(tdb.db)).rows;

const readingsOf = async (device: string) =>
  (await sql<{ metric: string; value: number; at: Date }>`
    SELECT m.name AS metric, r.value, r.at FROM readings r JOIN devices d ON d.id = r.device_id JOIN metrics m ON m.id = r.metric
    WHERE d.serial = ${device} ORDER BY r.at, m.name`.execute(tdb.db)).rows.map((r) => [r.metric, r.value, iso(r.at.getTime())]);

const quarantined = async (batch: string) =>
  (await tdb.db.selectFrom('quarantine').select(['code', 'message']).where('batch_id', '=', batch).orderBy('id').execute()).map((q) => q.message);

/** The engine's count of readings it took in late (owed a replay), from GET /metrics. */
const lateReadings = async (): Promise<number> => {
  const text = await (await fetch(`${svc.httpUrl}/metrics`)).text();
  return Number(/^telemetry_engine_readings_total\{outcome="late"\} (\d+)/m.exec(text)?.[1]);
};

const enrolled = async (serial: string): Promise<number> => {
  const vault = await testVault(tdb.db);
  const patient = await createPatient(tdb.db, vault, { site: 'implant', familyName: `P${serial}`, givenName: 'Test', dateOfBirth: '1950-06-01', nhsNumber: null }, Date.now());
  await enrolDevice(tdb.db, vault, { id: patient, siteId }, serial, { createDevice: true, deviceType: 'crt_d' });
  return patient;
};

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  key = (await seedGateway(tdb.db, 'implant')).key;
  siteId = (await tdb.db.selectFrom('sites').select('id').where('code', '=', 'implant').executeTakeFirstOrThrow()).id;
  svc = await startService(tdb.db, tdb.url, { ENGINE_CONNECTIVITY_CHECK_MS: '3600000' });
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

describe('IDCO implant date', () => {
  it('records one implant for the enrolled device, whatever later messages say', async () => {
    const patient = await enrolled('BIO-70000001');
    const first = message('70000001', day(100), [implantDt(day(10)), VOLTS]);
    expect(await post(first.body)).toContain('accepted 1,');
    expect(await implantsOf('BIO-70000001')).toEqual([{ at: new Date(day(10)), source: 'idco', recorded_by: null, leads: [] }]);

    // The same message again, and one with the same date: nothing new, nothing noted.
    await post(first.body);
    const same = message('70000001', day(130), [implantDt(day(10)), VOLTS]);
    await post(same.body);
    expect(await quarantined(same.id)).toEqual([]);

    // Another date: the recorded implant stays, and the quarantine says why.
    const other = message('70000001', day(160), [implantDt(day(11)), VOLTS]);
    expect(await post(other.body)).toContain('accepted 1,');
    expect(await implantsOf('BIO-70000001')).toHaveLength(1);
    expect((await implantsOf('BIO-70000001'))[0]!.at).toEqual(new Date(day(10)));
    expect(await quarantined(other.id)).toEqual([
      `HL7 implant_conflict: implant date ${hl7Date(day(11)).replace(/(\d{4})(\d{2})(\d{2})/, '$1-$2-$3')} differs from the implant recorded for the device (${iso(day(10)).slice(0, 10)}); the recorded one is kept`,
    ]);

    // The patient page lists it as the message's, recorded by nobody.
    const cookie = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'clinician', ['implant'])).email);
    const res = await fetch(`${svc.httpUrl}/v1/patients/p-${patient}/device-events`, { headers: { cookie } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { events: unknown[] }).events).toEqual([
      expect.objectContaining({ kind: 'implant', serial: 'BIO-70000001', at: new Date(day(10)).toISOString(), source: 'idco', recordedBy: null }),
    ]);
  });

  it('replays a device that already reported from before the implant it learns of', async () => {
    await enrolled('BIO-70000006');
    await post(message('70000006', day(100), [VOLTS]).body);
    await post(message('70000006', day(130), [implantDt(day(10)), VOLTS]).body);
    expect(await implantsOf('BIO-70000006')).toHaveLength(1);
    const pending = async () => (await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM engine_pending p JOIN devices d ON d.id = p.device_id WHERE d.serial = 'BIO-70000006'`.execute(tdb.db)).rows[0]!.n;
    await expect.poll(pending).toBe(0);
    expect(await readingsOf('BIO-70000006')).toEqual([['battery_voltage', 2.95, iso(day(100))], ['battery_voltage', 2.95, iso(day(130))]]);
  });

  it('records nothing for a device no patient is enrolled to', async () => {
    await post(message('70000002', day(100), [implantDt(day(10)), VOLTS]).body);
    expect(await implantsOf('BIO-70000002')).toEqual([]);
  });

  it('records nothing, and says why, for a generator put on older leads or a device that replaced another', async () => {
    await enrolled('BIO-70000003');
    const onOldLeads = message('70000003', day(100), [implantDt(day(90)), leadImplantDt('1', day(5)), leadImplantDt('2', day(90)), VOLTS]);
    await post(onOldLeads.body);
    expect(await implantsOf('BIO-70000003')).toEqual([]);
    expect((await quarantined(onOldLeads.id))[0]).toMatch(/^HL7 implant_not_recorded: implant date .*: a lead was implanted before the device/);

    // Leads implanted with the device (the same day) are no objection.
    await enrolled('BIO-70000004');
    await post(message('70000004', day(100), [implantDt(day(90)), leadImplantDt('1', day(90)), leadImplantDt('2', day(90) + 3_600_000), VOLTS]).body);
    expect(await implantsOf('BIO-70000004')).toHaveLength(1);

    // A generator change recorded for the device: its start is known.
    await enrolled('BIO-70000005');
    const ids = await tdb.db.selectFrom('devices').select(['id', 'serial']).where('serial', 'in', ['BIO-70000003', 'BIO-70000005']).execute();
    const id = (s: string) => ids.find((d) => d.serial === s)!.id;
    await recordLifecycle(tdb.db, { deviceId: id('BIO-70000005'), previousDeviceId: id('BIO-70000003'), kind: 'generator_change', at: day(95), source: 'clinician', by: null });
    const replaced = message('70000005', day(100), [implantDt(day(95)), VOLTS]);
    await post(replaced.body);
    expect(await implantsOf('BIO-70000005')).toEqual([]);
    expect((await quarantined(replaced.id))[0]).toMatch(/^HL7 implant_not_recorded: .*the device replaced another/);
  });
});

describe('IDCO statistics', () => {
  it('arrive as readings in the vocabulary unit, at the end of their periods', async () => {
    await enrolled('BIO-70000010');
    const m = message('70000010', day(100) + 9 * 3_600_000, [
      dtm('737665^MDC_IDC_STAT_AT_DTM_START', day(70)), dtm('737666^MDC_IDC_STAT_AT_DTM_END', day(100)),
      stat('737696^MDC_IDC_STAT_AT_BURDEN_PERCENT', '10'),
      dtm('737506^MDC_IDC_STAT_BRADY_DTM_END', day(99)), stat('737536^MDC_IDC_STAT_BRADY_RV_PERCENT_PACED', '30'),
      dtm('737778^MDC_IDC_STAT_CRT_DTM_END', day(98)), stat('737808^MDC_IDC_STAT_CRT_PERCENT_PACED', '97.5'),
      stat('737792^MDC_IDC_STAT_CRT_LV_PERCENT_PACED', '95'),
      VOLTS,
    ]);
    const late = await lateReadings();
    expect(await post(m.body)).toBe('accepted 4, duplicates 0, rejected 0, unmapped 1');
    // Taken in in event-time order, whatever the order of the OBX: nothing late, no replay.
    expect(await lateReadings()).toBe(late);
    expect(await readingsOf('BIO-70000010')).toEqual([
      ['crt_pacing_pct', 97.5, iso(day(98))],
      ['rv_pacing_pct', 30, iso(day(99))],
      ['af_burden', 2.4, iso(day(100))],
      ['battery_voltage', 2.95, iso(day(100) + 9 * 3_600_000)],
    ]);
    expect(await quarantined(m.id)).toEqual(['HL7 superseded: MDC_IDC_STAT_CRT_PERCENT_PACED in the same message is the crt_pacing_pct reading']);
    // Sent again: the same readings (the same keys), stored once.
    expect(await post(m.body)).toBe('accepted 0, duplicates 4, rejected 0, unmapped 1');
  });

  it('quarantines hostile values with their reason and keeps everything else of the message', async () => {
    await enrolled('BIO-70000011');
    const session = day(100);
    const m = message('70000011', session, [
      implantDt(session + 400 * DAY),
      stat('737696^MDC_IDC_STAT_AT_BURDEN_PERCENT', 'lots'),
      stat('737536^MDC_IDC_STAT_BRADY_RV_PERCENT_PACED', '150'),
      stat('737808^MDC_IDC_STAT_CRT_PERCENT_PACED', '-5'),
      dtm('737618^MDC_IDC_STAT_HEART_RATE_DTM_END', '18500101'),
      stat('737651^MDC_IDC_STAT_HEART_RATE_VENTRICULAR_MEAN', '72', '{beats}/min'),
      VOLTS,
    ]);
    expect(await post(m.body)).toBe('accepted 2, duplicates 0, rejected 0, unmapped 4');
    expect(await readingsOf('BIO-70000011')).toEqual([['battery_voltage', 2.95, iso(session)], ['heart_rate', 72, iso(session)]]);
    expect(await implantsOf('BIO-70000011')).toEqual([]);
    expect(await quarantined(m.id)).toEqual([
      'HL7 bad_value: "lots" is not a number',
      'HL7 bad_value: 150 % is not a share of the period (0 to 100 %)',
      'HL7 bad_value: -5 % is not a share of the period (0 to 100 %)',
      `HL7 bad_value: implant date ${iso(session + 400 * DAY).slice(0, 10)} is after the interrogation that reports it; no implant event is recorded`,
    ]);
  });
});

describe('the implant through the ingest service', () => {
  it('asks the engine to rebuild the device, and records nothing dated in the future', async () => {
    await enrolled('BIO-70000020');
    const rebuilt: number[][] = [];
    const scoring = { lifecycleChanged: async (ids: readonly number[]) => void rebuilt.push([...ids]) };
    const now = Date.now();
    const service = new IngestService(tdb.db, {} as never, {} as never,
      { futureToleranceMs: 0, retryAfterMs: 1000, gatewayRateLimit: 0, gatewayRateBurst: 0 }, scoring as never, () => now);
    const gw = { gatewayId: 0, siteId } as GatewayIdentity;
    const implant = (at: number): IdcoImplant => ({ at, dateOnly: true, leadDates: [], obx: { setId: '2', code: '720901', subId: '', valueType: 'DT', raw: '' } });

    expect(await service.idcoImplant(gw, 'BIO-70000020', implant(now + 2 * DAY))).toEqual({ kind: 'future' });
    expect(rebuilt).toEqual([]);
    const device = (await tdb.db.selectFrom('devices').select('id').where('serial', '=', 'BIO-70000020').executeTakeFirstOrThrow()).id;
    expect(await service.idcoImplant(gw, 'BIO-70000020', implant(day(3)))).toEqual({ kind: 'recorded', devices: [device] });
    expect(rebuilt).toEqual([[device]]);
    expect(await service.idcoImplant(gw, 'BIO-70000020', implant(day(3) + 3_600_000))).toEqual({ kind: 'same' });
    expect(await service.idcoImplant(gw, 'BIO-70000020', implant(day(4)))).toEqual({ kind: 'conflict', recorded: day(3) });
    // Another site's gateway finds no enrolled device of that serial.
    expect(await service.idcoImplant({ gatewayId: 0, siteId: siteId + 1000 } as GatewayIdentity, 'BIO-70000020', implant(day(3)))).toEqual({ kind: 'not_enrolled' });
    expect(rebuilt).toHaveLength(1);
  });
});
