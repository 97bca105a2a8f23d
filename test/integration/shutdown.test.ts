import net from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService } from '../helpers/service.ts';
import { readings } from '../helpers/gateway.ts';

let tdb: TestDatabase;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
});
afterAll(async () => {
  await tdb?.drop();
});

describe('graceful shutdown', () => {
  it('answers every batch received (ack after commit, or unavailable), then closes with 1001', async () => {
    const svc = await startService(tdb.db, tdb.url);
    const { key } = await seedGateway(tdb.db);
    const gws = await Promise.all([1, 2, 3].map(() => svc.gateway(key)));
    const sent: string[] = [];
    gws.forEach((gw, g) => {
      for (let b = 0; b < 40; b++) {
        const id = `g${g}-b${b}`;
        sent.push(id);
        gw.sendRaw(JSON.stringify({ type: 'readings', id, readings: readings(`SD-${g}`, b * 100, 100) }));
      }
    });
    // Shut down while those batches are still arriving and being written.
    while (!gws.some((gw) => gw.messages.some((m) => m.type === 'ack'))) await new Promise((r) => setTimeout(r, 1));
    const closing = svc.close();
    const closes = await Promise.all(gws.map((gw) => gw.closed));
    await closing;

    expect(closes.map((c) => c.code)).toEqual([1001, 1001, 1001]);
    const replies = gws.flatMap((gw) => gw.messages);
    const acks = replies.filter((m) => m.type === 'ack');
    const errors = replies.filter((m) => m.type === 'error');
    // Frames still in the socket buffers when the server closed get no reply, and
    // the gateway resends them; every frame that reached the service got one.
    expect(acks.length).toBeGreaterThan(0);
    for (const e of errors) expect(e).toMatchObject({ code: 'unavailable' });
    expect(new Set(replies.map((m) => m.id)).size).toBe(replies.length);
    const accepted = acks.reduce((s, a) => s + (a.accepted as number), 0);
    const stored = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM readings`.execute(tdb.db)).rows[0]!.n;
    // Everything acked is durable, and nothing is stored that was not acked.
    expect(stored).toBe(accepted);
  });

  it('is not held by an upgrade request refused while the service stops, even one whose client never closes', async () => {
    // Fastify answers a request that arrives while it closes with 503, before any hook runs;
    // for a WebSocket upgrade that answer goes to a raw socket nothing else closes, and the
    // shutdown used to wait for it forever.
    const svc = await startService(tdb.db, tdb.url);
    const { key } = await seedGateway(tdb.db);
    const gw = await svc.gateway(key);
    const { port } = new URL(svc.httpUrl);
    const raw = net.connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve) => raw.once('connect', () => resolve()));
    let answer = '';
    raw.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    const rawClosed = new Promise<void>((resolve) => raw.once('close', () => resolve()));

    // Hold the shutdown's drain: the gateway's batch waits on a lock on the readings table.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const lock = tdb.db.transaction().execute(async (trx) => {
      await sql`LOCK TABLE readings IN ACCESS EXCLUSIVE MODE`.execute(trx);
      locked();
      await held;
    });
    await isLocked;
    gw.sendRaw(JSON.stringify({ type: 'readings', id: 'held', readings: readings('SD-held', 0, 10) }));
    await new Promise((r) => setTimeout(r, 200));
    const closing = svc.close();

    // While the service waits on that batch, a gateway reconnects: refused with 503...
    raw.write(
      `GET /v1/ingest HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer ${key}\r\n\r\n`,
    );
    while (!answer.includes('\r\n\r\n')) await new Promise((r) => setTimeout(r, 10));
    expect(answer).toMatch(/^HTTP\/1\.1 503 /);

    // ...and the client never closes its end. The drain goes on and the shutdown ends.
    release();
    await lock;
    await closing;
    await rawClosed;
    expect(await gw.closed).toMatchObject({ code: 1001 });
    expect(gw.messages).toContainEqual(expect.objectContaining({ type: 'ack', id: 'held' }));
  });
});
