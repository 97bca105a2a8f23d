import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import { MllpClient, seg } from '../helpers/mllp.ts';
import { seedUser, signIn } from '../helpers/people.ts';
import { createPatient, enrolDevice } from '../../src/patients/service.ts';
import { testVault } from '../helpers/keys.ts';

const fixture = (name: string) => fs.readFileSync(new URL(`../fixtures/idco/${name}`, import.meta.url));
const CRT_D = fixture('crt-d-remote-crlf.hl7'); // BSX-112233: 15 readings (11 observed, 2 counter differences, 2 episodes), 1 unmapped, MSH-10 BSX-000042
const PACER = fixture('pacemaker-legacy-cr.hl7'); // STJ-7788123: 4 readings, 3 unmapped, MSH-10 MSG-0007

let tdb: TestDatabase;
let svc: RunningService;
let key: string;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  const gw = await seedGateway(tdb.db, 'idco');
  key = gw.key;
  svc = await startService(tdb.db, tdb.url, { MLLP_PORT: '0', MLLP_GATEWAY_KEY: key, IDCO_MAX_BYTES: String(64 * 1024) });
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

const post = (body: Buffer | string, headers: Record<string, string> = {}) =>
  fetch(`${svc.httpUrl}/v1/idco`, {
    method: 'POST',
    headers: { 'content-type': 'application/hl7-v2', authorization: `Bearer ${key}`, ...headers },
    body,
  });

const storedFor = async (serial: string) =>
  (await sql<{ n: number }>`SELECT count(*)::int AS n FROM readings r JOIN devices d ON d.id = r.device_id WHERE d.serial = ${serial}`.execute(tdb.db)).rows[0]!.n;

describe('HL7 v2 IDCO ingest', () => {
  it('stores a message once whether it comes over HTTP or MLLP, acking each with its control id', async () => {
    const first = await post(CRT_D);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toContain('application/hl7-v2');
    const ack = await first.text();
    expect(seg(ack, 'MSH')?.[8]).toMatch(/^ACK/);
    expect(seg(ack, 'MSA')?.slice(1, 3)).toEqual(['AA', 'BSX-000042']);
    expect(seg(ack, 'MSA')?.[3]).toContain('accepted 15, duplicates 0');
    expect(await storedFor('BSX-112233')).toBe(15);

    const mllp = await MllpClient.connect(svc.app.mllpPort()!);
    const again = await mllp.send(CRT_D, 7); // split across several TCP writes
    expect(seg(again, 'MSA')?.slice(1, 3)).toEqual(['AA', 'BSX-000042']);
    expect(seg(again, 'MSA')?.[3]).toContain('accepted 0, duplicates 15');

    const pacer = await mllp.send(PACER);
    expect(seg(pacer, 'MSA')?.slice(1, 3)).toEqual(['AA', 'MSG-0007']);
    expect(await storedFor('STJ-7788123')).toBe(4);
    expect(await (await post(PACER)).text()).toContain('accepted 0, duplicates 4');
    expect(await storedFor('BSX-112233')).toBe(15);
    expect(await storedFor('STJ-7788123')).toBe(4);
    mllp.end();
  });

  it('warns on the patient page, not in the ACK, when a message names another birth date than the enrolled patient\'s', async () => {
    // The CRT-D message as sent for three other devices; its PID-7 says 1955-01-01.
    const as = (serial: string, control: string) => CRT_D.toString('latin1').replaceAll('112233', serial).replace('BSX-000042', control);
    const site = (await tdb.db.selectFrom('sites').select('id').where('code', '=', 'idco').executeTakeFirstOrThrow()).id;
    const patient = async (dob: string, family: string) =>
      createPatient(tdb.db, await testVault(tdb.db), { site: 'idco', familyName: family, givenName: 'Test', dateOfBirth: dob, nhsNumber: null }, Date.now());
    const other = await patient('1962-07-30', 'Other');
    const same = await patient('1955-01-01', 'Same');
    await enrolDevice(tdb.db, await testVault(tdb.db), { id: other, siteId: site }, 'BSX-445566', { createDevice: true });
    await enrolDevice(tdb.db, await testVault(tdb.db), { id: same, siteId: site }, 'BSX-778899', { createDevice: true });

    const mismatch = await (await post(as('445566', 'M-1'))).text();
    expect(seg(mismatch, 'MSA')?.slice(1, 3)).toEqual(['AA', 'M-1']);
    // The sender is told nothing: an answer that differed would tell a guesser the birth date.
    expect(seg(mismatch, 'ERR')).toBeUndefined();
    // The readings are the device's and are kept.
    expect(await storedFor('BSX-445566')).toBe(15);
    await post(as('445566', 'M-2'));

    // The matching patient, and a device with no patient: no warning.
    expect(seg(await (await post(as('778899', 'S-1'))).text(), 'ERR')).toBeUndefined();
    expect(seg(await (await post(as('990011', 'U-1'))).text(), 'ERR')).toBeUndefined();

    const cookie = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'clinician', ['idco'])).email);
    const page = async (id: number) => {
      const res = await fetch(`${svc.httpUrl}/v1/patients/p-${id}`, { headers: { cookie } });
      expect(res.status).toBe(200);
      return ((await res.json()) as { patient: { devices: Array<{ serial: string; identityWarning: { source: string; messages: number } | null }> } }).patient.devices;
    };
    expect(await page(other)).toEqual([expect.objectContaining({ serial: 'BSX-445566', identityWarning: expect.objectContaining({ source: 'idco', messages: 2 }) })]);
    expect(await page(same)).toEqual([expect.objectContaining({ serial: 'BSX-778899', identityWarning: null })]);
    // Nothing of the message's birth date is kept: only that it differed, and how often.
    const row = await sql<Record<string, unknown>>`SELECT * FROM identity_mismatches`.execute(tdb.db);
    expect(row.rows).toHaveLength(1);
    expect(Object.keys(row.rows[0]!).sort()).toEqual(['device_id', 'first_seen_at', 'last_seen_at', 'messages', 'patient_id', 'source']);
  });

  it('quarantines observations whose codes the vocabulary does not know, with their OBX', async () => {
    const rows = await tdb.db.selectFrom('quarantine').select(['code', 'message', 'raw', 'source']).where('batch_id', '=', 'BSX-000042').execute();
    // 1 unmapped per delivery (a vendor-local code); the message came twice (HTTP, MLLP)
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => r.source === 'idco')).toBe(true);
    expect(rows.some((r) => r.code === 'unknown_metric' && String((r.raw as { obx: string }).obx).startsWith('OBX|'))).toBe(true);
  });

  it('keeps derived readings out of a gateway\'s resume point', async () => {
    const gw = await svc.gateway(key);
    gw.sendRaw(JSON.stringify({ type: 'status', id: 's', devices: ['BSX-112233'] }));
    expect(await gw.reply('s')).toMatchObject({ devices: { 'BSX-112233': null } });
    gw.close();
  });

  it.each([
    ['not HL7 at all', 'hello there'],
    ['an empty body', ''],
    ['binary noise', Buffer.from([0, 1, 2, 0xff, 0xfe, 0x0b, 0x1c])],
    ['an ADT message', 'MSH|^~\\&|A|B|C|D|20260304||ADT^A01|X1|P|2.5\rPID|||1\r'],
  ])('answers %s with HTTP 400 and an AE carrying an ERR segment', async (_what, body) => {
    const res = await post(body as string);
    expect(res.status).toBe(400);
    const ack = await res.text();
    expect(seg(ack, 'MSA')?.[1]).toBe('AE');
    expect(seg(ack, 'ERR')).toBeDefined();
  });

  it('answers AE over MLLP too, and keeps the connection for the next message', async () => {
    const mllp = await MllpClient.connect(svc.app.mllpPort()!);
    expect(seg(await mllp.send('garbage'), 'MSA')?.[1]).toBe('AE');
    expect(seg(await mllp.send(PACER), 'MSA')?.[1]).toBe('AA');
    mllp.end();
  });

  it('closes an MLLP connection whose frame exceeds the limit, and only that one', async () => {
    const big = await MllpClient.connect(svc.app.mllpPort()!);
    const other = await MllpClient.connect(svc.app.mllpPort()!);
    big.writeRaw(Buffer.concat([Buffer.from([0x0b]), Buffer.alloc(70 * 1024, 0x41)]));
    await big.closed;
    expect(seg(await other.send(PACER), 'MSA')?.[1]).toBe('AA');
    other.end();
  });

  it('refuses an unknown key, a JSON body and an oversized message at the HTTP level', async () => {
    expect((await post(PACER, { authorization: 'Bearer nope' })).status).toBe(401);
    const json = await post('{"a":1}', { 'content-type': 'application/json' });
    expect(json.status).toBe(415);
    expect(await json.json()).toMatchObject({ code: 'unsupported_media_type' });
    const big = await post(Buffer.alloc(70 * 1024, 0x41));
    expect(big.status).toBe(413);
    const text = await post(PACER, { 'content-type': 'text/plain; charset=utf-8' });
    expect(text.status).toBe(200);
  });
});
