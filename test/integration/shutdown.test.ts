import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService } from '../helpers/service.ts';
import { readings, TestGateway } from '../helpers/gateway.ts';

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
    const gws = await Promise.all([1, 2, 3].map(() => TestGateway.open(svc.wsUrl, key)));
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
});
