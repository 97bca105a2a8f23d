import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import { readings } from '../helpers/gateway.ts';

let tdb: TestDatabase;
let svc: RunningService;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  // A write queue of two batches: a flood must overflow it.
  svc = await startService(tdb.db, tdb.url, { INGEST_MAX_BATCH: '100', INGEST_MAX_QUEUED_ROWS: '200', INGEST_RETRY_AFTER_MS: '100' });
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

describe('overload', () => {
  it('answers unavailable when the write queue is full, and a resending gateway loses nothing', async () => {
    const { key } = await seedGateway(tdb.db);
    const gws = await Promise.all([0, 1, 2, 3].map(() => svc.gateway(key)));
    const batches = gws.map((_, g) => Array.from({ length: 30 }, (_, b) => readings(`BP-${g}`, b * 100, 100)));
    let unavailable = 0;
    let accepted = 0;
    await Promise.all(
      gws.map(async (gw, g) => {
        let pending = batches[g]!.map((r, b) => ({ id: `${g}-${b}`, r }));
        for (let round = 0; pending.length > 0; round++) {
          const replies = await Promise.all(pending.map((p) => gw.batch(`${p.id}-${round}`, p.r)));
          const retry: typeof pending = [];
          replies.forEach((reply, i) => {
            if (reply.type === 'ack') accepted += reply.accepted as number;
            else {
              expect(reply).toMatchObject({ type: 'error', code: 'unavailable', retryAfterMs: 100 });
              unavailable++;
              retry.push(pending[i]!);
            }
          });
          pending = retry;
          if (pending.length > 0) await new Promise((r) => setTimeout(r, 100));
        }
      }),
    );
    expect(unavailable).toBeGreaterThan(0); // the queue did overflow
    expect(accepted).toBe(4 * 30 * 100);
    const stored = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM readings`.execute(tdb.db)).rows[0]!.n;
    expect(stored).toBe(4 * 30 * 100);
    gws.forEach((gw) => gw.close());
  });
});
