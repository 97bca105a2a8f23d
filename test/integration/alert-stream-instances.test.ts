import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import { TestGateway } from '../helpers/gateway.ts';
import { seedUser, signIn } from '../helpers/people.ts';

// Two instances on one database: a dashboard connected to one sees an alert raised through
// the other at once, by the database's notification, not at its next poll (set here to ten
// minutes, so only the notification can bring it within the test).

let tdb: TestDatabase;
let a: RunningService;
let b: RunningService;
let key: string;
let cookie: string;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  a = await startService(tdb.db, tdb.url);
  b = await startService(tdb.db, tdb.url, { ALERT_STREAM_POLL_MS: '600000' });
  key = (await seedGateway(tdb.db, 'twin')).key;
  cookie = await signIn(b.httpUrl, (await seedUser(tdb.db, 'clinician', ['twin'])).email);
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await tdb?.drop();
});

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

describe('alert changes across instances', () => {
  it('reach a stream on one instance when committed by another, without waiting for its poll', async () => {
    const messages: Array<{ type: string; alert?: { device: string } }> = [];
    const ws = new WebSocket(`${b.httpUrl.replace('http', 'ws')}/v1/alerts/stream`, { headers: { cookie, origin: b.httpUrl } });
    ws.on('message', (d: Buffer) => messages.push(JSON.parse(d.toString()) as { type: string }));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    await until(() => messages.some((m) => m.type === 'snapshot'), 'the snapshot');

    for (const device of ['TWIN-1', 'TWIN-2']) {
      const gw = await TestGateway.open(a.wsUrl, key);
      expect((await gw.batch(device, [{ device, seq: 1, at: new Date().toISOString(), metric: 'vt_episodes', value: 1 }])).accepted).toBe(1);
      gw.close();
      await until(() => messages.some((m) => m.type === 'alert' && m.alert?.device === device), `${device}'s alert on the other instance`);
    }
    ws.close();
  });
});
