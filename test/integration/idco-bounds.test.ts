// Hostile HL7 senders: work is bounded before any parsing (segment count, the sender's budget)
// and MLLP connections are bounded (allow-list, connection cap, idle timeout, backpressure).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import { MllpClient, seg } from '../helpers/mllp.ts';

const MSH = (id: string): string => `MSH|^~\\&|ENGINE|VENDOR|RCV|CLINIC|20260304021500||ORU^R01|${id}|P|2.6`;
const PID = 'PID|||model:G179/serial:BOUNDS1^^^BSX^U';
const OBR = 'OBR|1||TX-1|Remote|||20260304020000';
/** A message with `n` observations of a code nobody maps. */
/** The same with the shortest observations, to pack many segments under IDCO_MAX_BYTES. */
const tinyObx = (id: string, n: number): string =>
  [MSH(id), PID, OBR, ...Array.from({ length: n }, (_, i) => `OBX|${i}|NM|9^X^MDC||1`)].join('\r');
const unknownObx = (id: string, n: number): string =>
  [MSH(id), PID, OBR, ...Array.from({ length: n }, (_, i) => `OBX|${i + 1}|NM|99999^MDC_X_UNKNOWN^MDC|1|${i}|ms|||||F|||20260304020000`)].join('\r');

let tdb: TestDatabase;
const services: RunningService[] = [];

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
});
afterAll(async () => {
  for (const s of services) await s.close();
  await tdb?.drop();
});

async function service(env: Record<string, string>): Promise<{ svc: RunningService; key: string; gatewayId: number }> {
  const gw = await seedGateway(tdb.db);
  const svc = await startService(tdb.db, tdb.url, { MLLP_PORT: '0', MLLP_GATEWAY_KEY: gw.key, ...env });
  services.push(svc);
  return { svc, key: gw.key, gatewayId: gw.id };
}

const post = (svc: RunningService, key: string, body: string) =>
  fetch(`${svc.httpUrl}/v1/idco`, { method: 'POST', headers: { 'content-type': 'application/hl7-v2', authorization: `Bearer ${key}` }, body });

const quarantined = async (gatewayId: number) =>
  (await sql<{ n: number }>`SELECT count(*)::int AS n FROM quarantine WHERE gateway_id = ${gatewayId}`.execute(tdb.db)).rows[0]!.n;

describe('an HL7 message is bounded before it is parsed', () => {
  it('answers a 5 MB message of 240,000 segments AE from a byte scan, and the service keeps answering', async () => {
    const { svc, key, gatewayId } = await service({});
    const huge = tinyObx('HUGE-1', 240_000);
    expect(huge.length).toBeGreaterThan(5_000_000);
    const [reply, live] = await Promise.all([post(svc, key, huge), fetch(`${svc.httpUrl}/health/live`)]);
    expect(live.status).toBe(200);
    expect(reply.status).toBe(400);
    const ack = await reply.text();
    expect(seg(ack, 'MSA')?.slice(1, 3)).toEqual(['AE', 'HUGE-1']);
    expect(seg(ack, 'MSA')?.[3]).toMatch(/more than 5000 segments/);
    expect(await quarantined(gatewayId)).toBe(0);
    // The same message over MLLP, without a key: the same answer, and the connection stays usable.
    const mllp = await MllpClient.connect(svc.app.mllpPort()!);
    expect(seg(await mllp.send(huge), 'MSA')?.slice(1, 3)).toEqual(['AE', 'HUGE-1']);
    expect(seg(await mllp.send(unknownObx('SMALL-1', 3)), 'MSA')?.slice(1, 3)).toEqual(['AA', 'SMALL-1']);
    expect(await quarantined(gatewayId)).toBe(3);
    mllp.end();
  });

  it('charges every segment, mapped or not, to the sender\'s reading budget', async () => {
    const { svc, key, gatewayId } = await service({ GATEWAY_RATE_LIMIT: '1', GATEWAY_RATE_BURST: '100' });
    // A full bucket lets one message through whatever its size; it is then empty.
    const first = await post(svc, key, unknownObx('BUDGET-1', 150));
    const firstAck = await first.text();
    expect(first.status, firstAck).toBe(200);
    const second = await post(svc, key, unknownObx('BUDGET-2', 50));
    expect(second.status).toBe(429);
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(seg(await second.text(), 'MSA')?.slice(1, 3)).toEqual(['AR', 'BUDGET-2']);
    expect(await quarantined(gatewayId)).toBe(150);
  });
});

describe('MLLP connections are bounded', () => {
  it('closes a connection that stays silent, or leaves a frame unfinished, for MLLP_IDLE_MS', async () => {
    const { svc } = await service({ MLLP_IDLE_MS: '300' });
    const silent = await MllpClient.connect(svc.app.mllpPort()!);
    const partial = await MllpClient.connect(svc.app.mllpPort()!);
    partial.writeRaw(Buffer.from(`\u000b${MSH('SLOW-1')}\r${PID}\r`));
    // Closed by the service: the client never ends them.
    await Promise.all([silent.closed, partial.closed]);
  });

  it('refuses connections beyond MLLP_MAX_CONNECTIONS and keeps serving the open ones', async () => {
    const { svc } = await service({ MLLP_MAX_CONNECTIONS: '2' });
    const a = await MllpClient.connect(svc.app.mllpPort()!);
    const b = await MllpClient.connect(svc.app.mllpPort()!);
    expect(seg(await a.send(unknownObx('CAP-A', 1)), 'MSA')?.[1]).toBe('AA');
    expect(seg(await b.send(unknownObx('CAP-B', 1)), 'MSA')?.[1]).toBe('AA');
    const c = await MllpClient.connect(svc.app.mllpPort()!);
    await c.closed;
    expect(svc.app.mllpStats()?.refused).toBe(1);
    expect(seg(await a.send(unknownObx('CAP-A2', 1)), 'MSA')?.[1]).toBe('AA');
    a.end();
    b.end();
  });

  it('closes a peer outside MLLP_ALLOW before reading anything', async () => {
    const { svc, gatewayId } = await service({ MLLP_ALLOW: '10.9.9.9/32' });
    const c = await MllpClient.connect(svc.app.mllpPort()!);
    c.writeRaw(Buffer.from(`\u000b${unknownObx('DENIED-1', 2)}\u001c\r`));
    await c.closed;
    expect(svc.app.mllpStats()?.refused).toBe(1);
    expect(await quarantined(gatewayId)).toBe(0);
  });

  it('holds back a sender that pipelines faster than it reads its ACKs, losing nothing', async () => {
    const maxBytes = 256 * 1024;
    const { svc } = await service({ IDCO_MAX_BYTES: String(maxBytes) });
    const client = await MllpClient.connect(svc.app.mllpPort()!);
    // 400 messages of 60 KB (24 MB) written at once; each is answered AE (no device).
    const filler = 'x'.repeat(60_000);
    const replies = Array.from({ length: 400 }, (_, i) => client.send(`${MSH(`FLOOD-${i}`)}\rNTE|1||${filler}`));
    const acks = await Promise.all(replies);
    expect(acks.map((a) => seg(a, 'MSA')?.[2])).toEqual(Array.from({ length: 400 }, (_, i) => `FLOOD-${i}`));
    expect(acks.every((a) => seg(a, 'MSA')?.[1] === 'AE')).toBe(true);
    // Never more than one frame in progress and one read's worth of complete ones held.
    expect(svc.app.mllpStats()!.maxHeldBytes).toBeLessThanOrEqual(maxBytes + 2 * 64 * 1024);
    client.end();
  });
});
