import fs from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import { MllpClient, seg } from '../helpers/mllp.ts';
import { seedUser, signIn } from '../helpers/people.ts';
import { createPatient, enrolDevice } from '../../src/patients/service.ts';
import { IDENTITY_MISMATCH_LIMIT, IDENTITY_REFUSED_REASON } from '../../src/ingest/idco/identity-guard.ts';
import { IDENTITY_MISMATCH_ACTION } from '../../src/ingest/idco/identity-audit.ts';
import { testVault } from '../helpers/keys.ts';

// The birth-date oracle: a message naming a guessed PID-7 must be answered the same whether
// the guess is right or not, and a sender that keeps guessing wrong is stopped and audited.

const SITE = 'oracle';
const RIGHT = '19620730';
const WRONG = '19550101';
const CRT_D = fs.readFileSync(new URL('../fixtures/idco/crt-d-remote-crlf.hl7', import.meta.url)).toString('latin1');

let tdb: TestDatabase;
let svc: RunningService;
let key: string;
let siteId: number;
let patientId: number;

/** A device enrolled to the patient born 1962-07-30, under a fresh serial. */
let serials = 0;
async function enrolled(): Promise<string> {
  const number = String(700000 + ++serials);
  await enrolDevice(tdb.db, await testVault(tdb.db), { id: patientId, siteId }, `BSX-${number}`, { createDevice: true });
  return number;
}

/** What a prober sends: an ORU^R01 with no readings, only a device and a guessed PID-7. */
const probe = (serial: string, dob: string, control = 'PROBE-1') =>
  `MSH|^~\\&|PROBE|X|CARDIOTEL|CLINIC01|20260304021500||ORU^R01^ORU_R01|${control}|P|2.6\r` +
  `PID|||model:G179/serial:${serial}^^^BSX^U||Doe^Jane||${dob}|F\r` +
  'OBR|1||TX-1|Remote Follow-up|||20260304020000\r';

/** The remote follow-up fixture (15 readings) for another device and birth date. */
const withReadings = (serial: string, dob: string, control: string) =>
  CRT_D.replaceAll('112233', serial).replace('|19550101|', `|${dob}|`).replace('BSX-000042', control);

/** The ACK without the fields that differ per reply whatever the message: MSH-7, MSH-10, MSA-2. */
function normalised(ack: string): string {
  return ack.split('\r').map((line) => {
    const f = line.split('|');
    if (f[0] === 'MSH') { f[6] = '<time>'; f[9] = '<control>'; }
    if (f[0] === 'MSA') f[2] = '<received>';
    return f.join('|');
  }).join('\r');
}

const post = (body: string, gatewayKey = key) =>
  fetch(`${svc.httpUrl}/v1/idco`, {
    method: 'POST',
    headers: { 'content-type': 'application/hl7-v2', authorization: `Bearer ${gatewayKey}` },
    body,
  });

/** An MLLP exchange from a chosen loopback address, the sender the limiter counts over MLLP. */
function mllpFrom(localAddress: string, message: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port: svc.app.mllpPort()!, host: '127.0.0.1', localAddress }, () =>
      s.write(Buffer.concat([Buffer.from([0x0b]), Buffer.from(message, 'latin1'), Buffer.from([0x1c, 0x0d])])));
    let buf = Buffer.alloc(0);
    s.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf(Buffer.from([0x1c, 0x0d]));
      if (end >= 0) {
        resolve(buf.subarray(buf.indexOf(0x0b) + 1, end).toString('utf8'));
        s.end();
      }
    });
    s.once('error', reject);
  });
}

const storedFor = async (serial: string) =>
  (await sql<{ n: number }>`SELECT count(*)::int AS n FROM readings r JOIN devices d ON d.id = r.device_id WHERE d.serial = ${serial}`.execute(tdb.db)).rows[0]!.n;

const audits = async () =>
  (await tdb.db.selectFrom('audit_log').select(['action', 'user_id', 'device_id', 'patient_id', 'detail', 'route'])
    .where('action', '=', IDENTITY_MISMATCH_ACTION).orderBy('id').execute())
    .map((r) => ({ ...r, detail: (typeof r.detail === 'string' ? JSON.parse(r.detail) : r.detail) as Record<string, unknown> }));

/**
 * One sender's audit rows in the order its mismatches were counted. The rows are written after
 * each ACK, without waiting, so two close mismatches may reach the log in either order; the
 * count each row carries is the order they happened in.
 */
const inCountOrder = (rows: Awaited<ReturnType<typeof audits>>) =>
  [...rows].sort((a, b) => Number(a.detail.mismatchesInWindow) - Number(b.detail.mismatchesInWindow));

const deviceId = async (serial: string) =>
  (await tdb.db.selectFrom('devices').select('id').where('serial', '=', serial).executeTakeFirstOrThrow()).id;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  key = (await seedGateway(tdb.db, SITE)).key;
  siteId = (await tdb.db.selectFrom('sites').select('id').where('code', '=', SITE).executeTakeFirstOrThrow()).id;
  patientId = await createPatient(tdb.db, await testVault(tdb.db), { site: SITE, familyName: 'Probed', givenName: 'Test', dateOfBirth: '1962-07-30', nhsNumber: null }, Date.now());
  svc = await startService(tdb.db, tdb.url, { MLLP_PORT: '0', MLLP_GATEWAY_KEY: key });
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

describe('the IDCO birth-date check answers the sender nothing', () => {
  it('acks a guessed birth date over HTTP the same, right or wrong, with or without readings', async () => {
    const serial = await enrolled();
    const right = await post(probe(serial, RIGHT));
    const wrong = await post(probe(serial, WRONG));
    expect([right.status, wrong.status]).toEqual([200, 200]);
    const [a, b] = [await right.text(), await wrong.text()];
    expect(seg(a, 'MSA')?.[1]).toBe('AA');
    expect(normalised(b)).toBe(normalised(a));
    expect(b).not.toMatch(/\rERR\|/);

    // The same with readings: two devices of the patient, one message naming her, one not.
    const [one, two] = [await enrolled(), await enrolled()];
    const withRight = await (await post(withReadings(one, RIGHT, 'R-1'))).text();
    const withWrong = await (await post(withReadings(two, WRONG, 'R-2'))).text();
    expect(seg(withRight, 'MSA')?.[3]).toContain('accepted 15');
    expect(normalised(withWrong)).toBe(normalised(withRight));
    expect(await storedFor(`BSX-${two}`)).toBe(15);
  });

  it('acks a guessed birth date over MLLP the same, right or wrong', async () => {
    const serial = await enrolled();
    const mllp = await MllpClient.connect(svc.app.mllpPort()!);
    const right = await mllp.send(probe(serial, RIGHT));
    const wrong = await mllp.send(probe(serial, WRONG));
    mllp.end();
    expect(seg(right, 'MSA')?.[1]).toBe('AA');
    expect(normalised(wrong)).toBe(normalised(right));
    expect(wrong).not.toMatch(/\rERR\|/);
  });

  it('still flags the mismatch for the clinic, and audits it without the birth date', async () => {
    // By now: one mismatching probe over HTTP, one with readings, one over MLLP.
    const cookie = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'clinician', [SITE])).email);
    const res = await fetch(`${svc.httpUrl}/v1/patients/p-${patientId}`, { headers: { cookie } });
    const devices = ((await res.json()) as { patient: { devices: Array<{ serial: string; identityWarning: unknown }> } }).patient.devices;
    expect(devices.filter((d) => d.identityWarning !== null).map((d) => d.serial)).toEqual(['BSX-700001', 'BSX-700003', 'BSX-700004']);
    await expect.poll(async () => (await audits()).length).toBe(3);
    const rows = await audits();
    expect(rows.map((r) => r.detail.sender)).toEqual([
      { transport: 'http', gatewayId: expect.any(Number) },
      { transport: 'http', gatewayId: expect.any(Number) },
      { transport: 'mllp', address: '127.0.0.1' },
    ]);
    expect(rows[0]).toMatchObject({ user_id: null, route: '/v1/idco', patient_id: patientId, device_id: await deviceId('BSX-700001') });
    const text = JSON.stringify(rows);
    for (const date of [WRONG, '1955-01-01', RIGHT, '1962-07-30', 'BSX-7000']) expect(text).not.toContain(date);
  });
});

describe('a sender that keeps naming another birth date', () => {
  it(`is refused explicitly over HTTP after ${IDENTITY_MISMATCH_LIMIT} mismatches, right guess or wrong, and audited`, async () => {
    const gw = await seedGateway(tdb.db, SITE);
    const serial = await enrolled();
    const before = (await audits()).length;
    for (let i = 0; i < IDENTITY_MISMATCH_LIMIT; i++) {
      const res = await post(probe(serial, String(19500101 + i), `G-${i}`), gw.key);
      expect(seg(await res.text(), 'MSA')?.[1]).toBe('AA');
    }

    // Over the limit: a wrong guess, a right one and a message with readings are all refused
    // with one generic AR that names no birth date; the sender is told to keep and resend.
    const refused = [
      await post(probe(serial, WRONG, 'G-W'), gw.key),
      await post(probe(serial, RIGHT, 'G-R'), gw.key),
      await post(withReadings(serial, RIGHT, 'G-D'), gw.key),
    ];
    const acks = await Promise.all(refused.map((r) => r.text()));
    for (const [i, res] of refused.entries()) {
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(seg(acks[i]!, 'MSA')?.slice(1)).toEqual(['AR', ['G-W', 'G-R', 'G-D'][i], IDENTITY_REFUSED_REASON]);
      expect(seg(acks[i]!, 'ERR')?.[8]).toBe(IDENTITY_REFUSED_REASON);
    }
    expect(normalised(acks[1]!)).toBe(normalised(acks[0]!));
    expect(await storedFor(`BSX-${serial}`)).toBe(0); // refused whole: nothing kept that was not acked

    // The same gateway's other devices are not held back: a relay with one misenrolled device
    // keeps delivering every other patient's messages.
    const neighbour = await enrolled();
    expect(seg(await (await post(withReadings(neighbour, RIGHT, 'G-X'), gw.key)).text(), 'MSA')?.[1]).toBe('AA');

    // A message without a birth date tells a prober nothing and still goes through; another
    // gateway of the site is not held back by this one.
    const noPid7 = probe(serial, '', 'G-N');
    expect(seg(await (await post(noPid7, gw.key)).text(), 'MSA')?.[1]).toBe('AA');
    expect(seg(await (await post(withReadings(serial, RIGHT, 'G-O'))).text(), 'MSA')?.[1]).toBe('AA');
    expect(await storedFor(`BSX-${serial}`)).toBe(15);

    await expect.poll(async () => (await audits()).length).toBe(before + IDENTITY_MISMATCH_LIMIT);
    const mine = inCountOrder((await audits()).slice(before));
    const device = await deviceId(`BSX-${serial}`);
    expect(mine.every((r) => r.device_id === device && r.patient_id === patientId)).toBe(true);
    expect(mine.every((r) => (r.detail.sender as { gatewayId: number }).gatewayId === gw.id)).toBe(true);
    expect(mine.map((r) => r.detail.mismatchesInWindow)).toEqual(Array.from({ length: IDENTITY_MISMATCH_LIMIT }, (_, i) => i + 1));
    expect(mine.map((r) => r.detail.limited)).toEqual([...Array(IDENTITY_MISMATCH_LIMIT - 1).fill(false), true]);
  });

  it(`is refused explicitly over MLLP after ${IDENTITY_MISMATCH_LIMIT} mismatches from its address, and only that address`, async () => {
    const serial = await enrolled();
    const before = (await audits()).length;
    for (let i = 0; i < IDENTITY_MISMATCH_LIMIT; i++) {
      expect(seg(await mllpFrom('127.0.0.2', probe(serial, String(19500101 + i), `L-${i}`)), 'MSA')?.[1]).toBe('AA');
    }
    const wrong = await mllpFrom('127.0.0.2', probe(serial, WRONG, 'L-W'));
    const right = await mllpFrom('127.0.0.2', probe(serial, RIGHT, 'L-R'));
    expect(seg(wrong, 'MSA')?.slice(1)).toEqual(['AR', 'L-W', IDENTITY_REFUSED_REASON]);
    expect(normalised(right)).toBe(normalised(wrong));
    // MLLP carries no credentials: one prober's address must not get other senders refused.
    expect(seg(await mllpFrom('127.0.0.3', probe(serial, RIGHT, 'L-3')), 'MSA')?.[1]).toBe('AA');

    await expect.poll(async () => (await audits()).length).toBe(before + IDENTITY_MISMATCH_LIMIT);
    const mine = inCountOrder((await audits()).slice(before));
    expect(mine.map((r) => r.detail.mismatchesInWindow)).toEqual(Array.from({ length: IDENTITY_MISMATCH_LIMIT }, (_, i) => i + 1));
    expect(mine.map((r) => r.detail.sender)).toEqual(Array(IDENTITY_MISMATCH_LIMIT).fill({ transport: 'mllp', address: '127.0.0.2' }));
    expect(mine.at(-1)?.detail.limited).toBe(true);
  });
});
