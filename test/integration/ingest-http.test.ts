import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import { readings } from '../helpers/gateway.ts';
import { INGEST_STAGES } from '../../src/observability/metrics.ts';

let tdb: TestDatabase;
let svc: RunningService;
let key: string;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  svc = await startService(tdb.db, tdb.url, { INGEST_MAX_BODY_BYTES: String(256 * 1024), GATEWAY_RATE_LIMIT: '1000', GATEWAY_RATE_BURST: '2000' });
  key = (await seedGateway(tdb.db)).key;
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

function post(body: string, headers: Record<string, string> = {}) {
  return fetch(`${svc.httpUrl}/v1/readings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers },
    body,
  });
}

describe('HTTP ingest: POST /v1/readings', () => {
  it('answers 200 with the ack counts after commit; id is optional', async () => {
    const res = await post(JSON.stringify({ readings: readings('H-A', 0, 10) }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: 10, duplicates: 0, rejected: [] });
    const again = await post(JSON.stringify({ id: 'h1', readings: readings('H-A', 5, 10) }));
    expect(await again.json()).toEqual({ accepted: 5, duplicates: 5, rejected: [] });
  });

  it('reports reading-level rejections in the 200 body, like the WebSocket', async () => {
    const res = await post(JSON.stringify({ readings: [...readings('H-B', 0, 1), { device: 'H-B', seq: 1, at: 'yesterday', metric: 'activity', value: 3 }] }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: 1, rejected: [{ index: 1, code: 'bad_reading' }] });
  });

  it.each([
    ['not JSON', '{"readings": [', 'bad_json'],
    ['an empty body', '', 'bad_json'],
    ['a JSON array', '[]', 'bad_message'],
    ['no readings', '{"id":"x"}', 'bad_message'],
    ['an empty batch', '{"readings":[]}', 'bad_message'],
    ['a bad id', '{"id":"","readings":[{}]}', 'bad_message'],
    ['5,001 readings', JSON.stringify({ readings: readings('H-C', 0, 5001).map(() => ({})) }), 'bad_message'],
  ])('answers 400 for %s', async (_what, body, code) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code });
  });

  it.each([
    ['no header', {}],
    ['an unknown key', { authorization: 'Bearer gk_doesnotexistdoesnotexistdoesnotexist' }],
    ['a malformed header', { authorization: 'Bearer' }],
    ['another scheme', { authorization: 'Token abc' }],
  ])('answers 401 for %s, before reading the body', async (_what, headers) => {
    const h: Record<string, string> = { 'content-type': 'application/json', ...headers };
    const res = await fetch(`${svc.httpUrl}/v1/readings`, { method: 'POST', headers: h, body: '{"readings":[]}' });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ code: 'unauthorized', message: expect.any(String) });
  });

  it('answers 413 for a body over the limit', async () => {
    const res = await post(JSON.stringify({ readings: readings('H-D', 0, 4000) }));
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 'payload_too_large' });
  });

  it.each([['text/plain'], ['application/xml'], ['application/x-www-form-urlencoded'], ['application/jsonx']])(
    'answers 415 for Content-Type %s',
    async (type) => {
      const res = await post(JSON.stringify({ readings: readings('H-E', 0, 1) }), { 'content-type': type });
      expect(res.status).toBe(415);
      expect(await res.json()).toMatchObject({ code: 'unsupported_media_type' });
    },
  );

  it('answers 429 with Retry-After when a gateway exceeds its rate', async () => {
    const gw = await seedGateway(tdb.db);
    const send = (from: number) =>
      fetch(`${svc.httpUrl}/v1/readings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${gw.key}` },
        body: JSON.stringify({ readings: readings('H-F', from, 1500) }),
      });
    expect((await send(0)).status).toBe(200);
    const limited = await send(1500);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await limited.json()).toMatchObject({ code: 'rate_limited' });
  });

  it('answers 404 with a JSON body for unknown routes', async () => {
    const res = await fetch(`${svc.httpUrl}/v1/nothing`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 'not_found' });
  });

  it('serves liveness, readiness, metrics and the OpenAPI document', async () => {
    expect((await fetch(`${svc.httpUrl}/health/live`)).status).toBe(200);
    expect(await (await fetch(`${svc.httpUrl}/health/ready`)).json()).toEqual({ status: 'ready', tls: false });
    const metrics = await (await fetch(`${svc.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/telemetry_readings_total\{outcome="accepted",transport="http"\} \d+/);
    expect(metrics).toContain('telemetry_commit_seconds_bucket');
    // The batches stored earlier in this file went through every stage.
    for (const stage of INGEST_STAGES) {
      expect(metrics).toMatch(new RegExp(`telemetry_ingest_stage_seconds_count\\{stage="${stage}"\\} [1-9]`));
    }
    const doc = (await (await fetch(`${svc.httpUrl}/docs/json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/readings', '/health/ready']));
  });
});
