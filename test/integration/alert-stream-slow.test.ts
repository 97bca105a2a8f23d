import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import type { Reading } from '../helpers/gateway.ts';
import { seedUser, signIn } from '../helpers/people.ts';

// A dashboard that stops reading must not make the service buffer its stream without bound:
// past ALERT_STREAM_MAX_BUFFER_BYTES unsent, the service closes it with 4008 (and cuts it
// when the close frame goes unanswered).

const T0 = Date.UTC(2026, 0, 1, 2);
let tdb: TestDatabase;
let svc: RunningService;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  svc = await startService(tdb.db, tdb.url, { ALERT_STREAM_MAX_BUFFER_BYTES: '16384' });
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

describe('a dashboard stream that stops reading', () => {
  it('is closed with 4008 instead of buffered without bound', async () => {
    const gw = await svc.gateway((await seedGateway(tdb.db, 'slow')).key);
    const cookie = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'clinician', ['slow'])).email);
    const ws = new WebSocket(`${svc.wsUrl.replace('/v1/ingest', '')}/v1/alerts/stream`, { headers: { cookie, origin: svc.httpUrl } });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    let messages = 0;
    ws.on('message', () => messages++);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    // Stop reading: the kernel's buffers fill, then the service's.
    (ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();

    // 20,000 alert changes, about 16 MB of stream messages: more than loopback's socket
    // buffers on both sides can hold, so the rest has to wait in the service.
    const DEVICES = 1000;
    const ROUNDS = 20;
    for (let b = 0; b < ROUNDS; b++) {
      const readings: Reading[] = Array.from({ length: DEVICES }, (_, i) => ({
        device: `SLOW-${i}`, seq: b + 1, at: new Date(T0 + b * 60_000).toISOString(), metric: 'vt_episodes', value: 1,
      }));
      expect((await gw.batch(`b${b}`, readings)).accepted).toBe(DEVICES);
    }
    // Let the stream's pump push what it can into the paused socket, then read again.
    await new Promise((r) => setTimeout(r, 1500));
    (ws as unknown as { _socket: { resume(): void } })._socket.resume();
    // 4008 when the client reads the close frame in time; 1006 when the service, after
    // waiting 2 s for an answer to it, cut the connection. Either way: dropped, with most of
    // the stream never sent.
    expect([4008, 1006]).toContain(await closed);
    expect(messages).toBeLessThan((DEVICES * ROUNDS) / 2);
    gw.close();
  }, 180_000);
});
