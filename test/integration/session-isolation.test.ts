import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer, WebSocket } from 'ws';
import pino from 'pino';
import { GatewaySession } from '../../src/ingest/session.ts';
import type { IngestService } from '../../src/ingest/service.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { TestGateway, readings } from '../helpers/gateway.ts';

// A fault in one socket's handler must not reach any other socket. The service
// here is replaced by one that fails on demand; the sockets are real.

let wss: WebSocketServer;
let url: string;

beforeAll(async () => {
  const metrics = createMetrics();
  const log = pino({ level: 'silent' });
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.once('listening', r));
  const port = (wss.address() as { port: number }).port;
  url = `ws://127.0.0.1:${port}`;
  wss.on('connection', (socket, req) => {
    const faulty = req.url?.includes('faulty');
    const service = {
      ingest: async (_gw: unknown, _id: string, raws: readonly unknown[]) => {
        if (faulty) throw new TypeError('a bug in a handler');
        return { accepted: raws.length, duplicates: 0, rejected: [] };
      },
      status: async () => ({}),
    } as unknown as IngestService;
    new GatewaySession(socket, { gatewayId: 1, siteId: 1 }, service, { maxBatchReadings: 5000 }, metrics, log).start();
  });
});
afterAll(() => new Promise<void>((r) => wss.close(() => r())));

describe('a gateway socket whose handler throws', () => {
  it('is closed with 1011 while other sockets carry on', async () => {
    const good = await TestGateway.open(`${url}/good`, null);
    const bad = await TestGateway.open(`${url}/faulty`, null);
    bad.sendRaw(JSON.stringify({ type: 'readings', id: 'x', readings: readings('ISO', 0, 1) }));
    expect((await bad.closed).code).toBe(1011);
    expect(await good.batch('y', readings('ISO', 0, 2))).toMatchObject({ type: 'ack', accepted: 2 });
    good.close();
  });

  it('a peer that vanishes mid-batch leaves the server and other peers unharmed', async () => {
    const good = await TestGateway.open(`${url}/good`, null);
    const gone = await TestGateway.open(`${url}/good`, null);
    gone.sendRaw(JSON.stringify({ type: 'readings', id: 'z', readings: readings('ISO', 0, 1) }));
    (gone.ws as WebSocket).terminate();
    expect(await good.batch('w', readings('ISO', 0, 2))).toMatchObject({ accepted: 2 });
    good.close();
  });
});
