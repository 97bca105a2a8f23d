import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import { readings } from '../helpers/gateway.ts';

// INGEST_MAX_SOCKETS: an instance holding as many gateway sockets as it admits answers a new
// upgrade 503 with Retry-After, and admits again once one has closed.

let tdb: TestDatabase;
let svc: RunningService;
let key: string;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  svc = await startService(tdb.db, tdb.url, { INGEST_MAX_SOCKETS: '2', INGEST_RETRY_AFTER_MS: '3000' });
  key = (await seedGateway(tdb.db)).key;
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

/** The HTTP answer to an upgrade that was refused. */
function refused(url: string, key: string): Promise<{ status: number; retryAfter: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${key}` } });
    ws.once('open', () => reject(new Error('the upgrade was accepted')));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body }));
    });
    ws.once('error', () => {});
  });
}

const metric = async (name: string) => {
  const text = await (await fetch(`${svc.httpUrl}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1]);
};

/** Waits until the service counts `n` open sockets (a close reaches it after the peer's). */
async function untilOpen(n: number): Promise<void> {
  for (let i = 0; i < 250 && (await metric('telemetry_ingest_sockets_open')) !== n; i++) await new Promise((r) => setTimeout(r, 20));
  expect(await metric('telemetry_ingest_sockets_open')).toBe(n);
}

describe('INGEST_MAX_SOCKETS', () => {
  it('turns an upgrade away with 503 and Retry-After while the instance is full, and admits again after a close', async () => {
    expect(await metric('telemetry_ingest_sockets_max')).toBe(2);
    const a = await svc.gateway(key);
    const b = await svc.gateway(key);
    const third = await refused(svc.wsUrl, key);
    expect(third.status).toBe(503);
    expect(third.retryAfter).toBe('3');
    expect(JSON.parse(third.body)).toMatchObject({ code: 'unavailable' });
    // Full: even an unknown key is turned away before it is looked up.
    expect((await refused(svc.wsUrl, 'gk_unknown')).status).toBe(503);
    // The sockets held work, and so does HTTP ingest.
    expect(await a.batch('cap-1', readings('CAP-A', 0, 1))).toMatchObject({ type: 'ack', accepted: 1 });
    const http = await fetch(`${svc.httpUrl}/v1/readings`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ readings: readings('CAP-H', 0, 1) }),
    });
    expect(http.status).toBe(200);
    b.close();
    await untilOpen(1);
    const c = await svc.gateway(key);
    expect(await c.batch('cap-2', readings('CAP-C', 0, 1))).toMatchObject({ type: 'ack', accepted: 1 });
    // An unknown key gets its 401 again once there is room.
    a.close();
    await untilOpen(1);
    await expect(svc.gateway('gk_unknown')).rejects.toThrow('HTTP 401');
    c.close();
  });
});
