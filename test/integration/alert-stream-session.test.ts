import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { startService, type RunningService } from '../helpers/service.ts';
import { seedUser, signIn } from '../helpers/people.ts';
import { createSite } from '../../src/admin/commands.ts';

// The alert stream ends with the session it was opened under, and does not keep the
// service from shutting down.

let tdb: TestDatabase;
let svc: RunningService;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  await createSite(tdb.db, 'sess', 'Session site');
  svc = await startService(tdb.db, tdb.url, { ALERT_STREAM_SESSION_CHECK_MS: '200' });
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

function open(cookie: string): Promise<{ ws: WebSocket; closed: Promise<number> }> {
  const ws = new WebSocket(`${svc.httpUrl.replace('http', 'ws')}/v1/alerts/stream`, { headers: { cookie, origin: svc.httpUrl } });
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => ws.once('open', () => resolve({ ws, closed })).once('error', reject));
}

describe('the alert stream and its session', () => {
  it('closes with 4001 once the session is signed out', async () => {
    const cookie = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'clinician', ['sess'])).email);
    const { closed } = await open(cookie);
    const out = await fetch(`${svc.httpUrl}/v1/session`, { method: 'DELETE', headers: { cookie, origin: svc.httpUrl } });
    expect(out.status).toBe(204);
    expect(await closed).toBe(4001);
  });

  it('is closed with 1001 when the service shuts down, and does not hold the shutdown up', async () => {
    const cookie = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'clinician', ['sess'])).email);
    const { closed } = await open(cookie);
    await svc.close();
    expect(await closed).toBe(1001);
    svc = await startService(tdb.db, tdb.url);
  });
});
