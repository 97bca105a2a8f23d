import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import pino from 'pino';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import { readings, TestGateway } from '../helpers/gateway.ts';
import { leaseChunk } from '../../src/ingest/rate-limit.ts';
import { createBudget, leaseTokens } from '../../src/store/gateway-budgets.ts';
import { createDb } from '../../src/store/db.ts';
import { GatewayBudgets } from '../../src/ingest/gateway-budget.ts';
import { ServiceError } from '../../src/errors.ts';

// Two instances on one database spend one gateway's reading budget, not one budget each.
// 20 readings/s with a burst of 200: an instance's chunk is max(a batch, 5 readings), so
// with batches of 10 the two together hold at most 20 unspent. A budget per instance would
// let 400 readings through in the first seconds.

const RATE = 20;
const BURST = 200;
const BATCH = 10;
const CHUNK = Math.max(BATCH, leaseChunk(RATE, BURST));

let tdb: TestDatabase;
let a: RunningService;
let b: RunningService;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  const env = { GATEWAY_RATE_LIMIT: String(RATE), GATEWAY_RATE_BURST: String(BURST) };
  a = await startService(tdb.db, tdb.url, env);
  b = await startService(tdb.db, tdb.url, env);
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await tdb?.drop();
});

function post(svc: RunningService, key: string, device: string, from: number) {
  return fetch(`${svc.httpUrl}/v1/readings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ readings: readings(device, from, BATCH) }),
  });
}

describe('a gateway budget shared by two instances', () => {
  it('bounds what both accept together by rate × elapsed + burst + one chunk each, and refuses the rest with rate_limited', async () => {
    const { key } = await seedGateway(tdb.db);
    const started = performance.now();
    let accepted = 0;
    const refusals: Array<{ status: number; retryAfter: number; code: unknown }> = [];
    // Twice the burst, through A and B in turn.
    for (let i = 0; i < (2 * BURST) / BATCH; i++) {
      const res = await post(i % 2 === 0 ? a : b, key, 'SHARED-1', i * BATCH);
      if (res.status === 200) accepted += ((await res.json()) as { accepted: number }).accepted;
      else refusals.push({ status: res.status, retryAfter: Number(res.headers.get('retry-after')), code: ((await res.json()) as { code: unknown }).code });
    }
    const elapsedSec = (performance.now() - started) / 1000;

    expect(accepted).toBeLessThanOrEqual(RATE * elapsedSec + BURST + 2 * CHUNK);
    // Most of the burst is spent: at most each instance's unspent chunk is missing from it.
    expect(accepted).toBeGreaterThanOrEqual(BURST - 2 * CHUNK);
    expect(refusals.length).toBeGreaterThan(0);
    for (const r of refusals) {
      expect(r).toMatchObject({ status: 429, code: 'rate_limited' });
      expect(r.retryAfter).toBeGreaterThanOrEqual(1);
    }
  });

  it('says over the WebSocket how long until the shared bucket covers the batch, and takes it then', async () => {
    const { key } = await seedGateway(tdb.db);
    const gwA = await TestGateway.open(a.wsUrl, key);
    const gwB = await TestGateway.open(b.wsUrl, key);
    let seq = 0;
    let refused: Record<string, unknown> | null = null;
    for (let i = 0; i < (2 * BURST) / BATCH && !refused; i++) {
      const reply = await (i % 2 === 0 ? gwA : gwB).batch(`w${i}`, readings('SHARED-2', seq, BATCH));
      if (reply.type === 'ack') seq += BATCH;
      else refused = reply;
    }
    expect(refused).toMatchObject({ type: 'error', code: 'rate_limited' });
    // The wait is the batch's shortfall at the rate, at most a whole batch's worth.
    const wait = refused!.retryAfterMs as number;
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual((BATCH * 1000) / RATE);
    await new Promise((r) => setTimeout(r, wait));
    // Through the other instance: the shared bucket has refilled, whoever asks.
    const later = await gwB.batch('after', readings('SHARED-2', seq, BATCH));
    expect(later).toMatchObject({ type: 'ack', accepted: BATCH });
    gwA.close();
    gwB.close();
  });

  it('leaves another gateway of the same instances its own budget', async () => {
    const spent = await seedGateway(tdb.db);
    const other = await seedGateway(tdb.db);
    for (let i = 0; i < (2 * BURST) / BATCH; i++) await post(i % 2 === 0 ? a : b, spent.key, 'SHARED-3', i * BATCH);
    expect((await post(a, spent.key, 'SHARED-3', 10_000)).status).toBe(429);
    for (const [i, svc] of [a, b].entries()) {
      const res = await post(svc, other.key, 'SHARED-4', i * BATCH);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ accepted: BATCH });
    }
  });

  it('grants concurrent leases of one bucket no more than it holds', async () => {
    const { id } = await seedGateway(tdb.db);
    await createBudget(tdb.db, id, BURST);
    // A rate too slow to refill anything within the test: 20 leases of 10 empty the bucket.
    const leases = await Promise.all(Array.from({ length: 50 }, () => leaseTokens(tdb.db, id, 10, 10, 1e-9, BURST)));
    expect(leases.filter((l) => l!.granted === 10)).toHaveLength(BURST / 10);
    expect(leases.filter((l) => l!.granted === 0)).toHaveLength(50 - BURST / 10);
  });

  it('refuses a charge it cannot lease for as unavailable when PostgreSQL cannot be reached, never lets it through', async () => {
    // Nothing listens on port 1.
    const down = createDb({ url: 'postgres://127.0.0.1:1/none', poolSize: 1, statementTimeoutMs: 1000, connectTimeoutMs: 1000 }, pino({ level: 'silent' }));
    try {
      const budgets = new GatewayBudgets(down.db, { ratePerSec: RATE, burst: BURST, unavailableRetryMs: 2000 });
      const err = await budgets.charge(1, BATCH).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ServiceError);
      expect(err).toMatchObject({ code: 'unavailable', retryAfterMs: 2000 });
    } finally {
      await down.close();
    }
  });

  it('refuses a gateway that keeps sending while refused from memory, until the bucket can have refilled', async () => {
    const { id } = await seedGateway(tdb.db);
    const own = createDb({ url: tdb.url, poolSize: 1, statementTimeoutMs: 1000, connectTimeoutMs: 1000 }, pino({ level: 'silent' }));
    let now = 0;
    const budgets = new GatewayBudgets(own.db, { ratePerSec: RATE, burst: BURST, unavailableRetryMs: 2000 }, () => now);
    try {
      await budgets.charge(id, BURST);
      const first = await budgets.charge(id, BATCH).catch((e: unknown) => e);
      expect(first).toMatchObject({ code: 'rate_limited' });
    } finally {
      await own.close();
    }
    // The database is out of reach now: a refusal from memory still says rate_limited...
    const again = await budgets.charge(id, BATCH).catch((e: unknown) => e);
    expect(again).toMatchObject({ code: 'rate_limited' });
    expect((again as ServiceError).retryAfterMs).toBeGreaterThan(0);
    // ...until the bucket could cover the batch; then only the database can say.
    now += (BATCH * 1000) / RATE;
    expect(await budgets.charge(id, BATCH).catch((e: unknown) => e)).toMatchObject({ code: 'unavailable' });
  });
});
