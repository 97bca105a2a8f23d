import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page, WebSocketRoute } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway } from '../helpers/service.ts';
import { TestGateway } from '../helpers/gateway.ts';
import { seedUser } from '../helpers/people.ts';
import { launchBrowser, listen, openPage, signInThroughForm, vtReading, type Listening } from './harness.ts';

// A dashboard dropped for reading too slowly (4008) comes straight back and catches up.
// The service's side (closing a stalled stream with 4008) is test/integration/
// alert-stream-slow.test.ts; here the browser's: the page's stream runs through a relay
// in the browser (Playwright's WebSocket routing) that can hold back a change, as a
// stalled page would not have read it, and then close the page's socket with 4008.

let tdb: TestDatabase;
let svc: Listening;
let gatewayKey: string;
let browser: Browser;
let page: Page;
let problems: string[];
const streamUrls: string[] = [];
let current: WebSocketRoute | null = null;
let holdBack = false;
let heldBack = 0;

async function raise(device: string): Promise<void> {
  const gw = await TestGateway.open(svc.wsUrl, gatewayKey);
  expect((await gw.batch(`b-${device}`, [vtReading(device)])).accepted).toBe(1);
  gw.close();
}

const row = (device: string) => page.locator('#queue-rows tr', { hasText: device });

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  svc = await listen(tdb.db, tdb.url, 0);
  gatewayKey = (await seedGateway(tdb.db, 'mri')).key;
  const clinician = await seedUser(tdb.db, 'clinician', ['mri']);
  browser = await launchBrowser();
  const context = await browser.newContext();
  ({ page, problems } = await openPage(context));
  await page.routeWebSocket(/\/v1\/alerts\/stream/, (ws) => {
    streamUrls.push(ws.url());
    current = ws;
    const server = ws.connectToServer();
    server.onMessage((message) => {
      if (holdBack) {
        heldBack++;
        return;
      }
      ws.send(message);
    });
  });
  await signInThroughForm(page, svc.httpUrl, clinician.email, clinician.password);
});

afterAll(async () => {
  await browser?.close();
  await svc?.close();
  await tdb?.drop();
});

describe('a dashboard dropped for reading too slowly (4008)', () => {
  it('reconnects at once with the last cursor it read and shows the change it missed', async () => {
    await raise('DROP-0001');
    await row('DROP-0001').waitFor();
    expect(streamUrls).toHaveLength(1);
    expect(streamUrls[0]).not.toContain('after=');

    // A change the page does not get to read, then the service's drop.
    holdBack = true;
    await raise('DROP-0002');
    await expect.poll(() => heldBack).toBeGreaterThan(0);
    holdBack = false;
    await current!.close({ code: 4008, reason: 'not reading fast enough; reconnect with ?after=<last cursor>' });

    // Straight back (no backoff for a first 4008), resuming after the last change it read.
    await expect.poll(() => streamUrls.length).toBe(2);
    expect(streamUrls[1]).toMatch(/\?after=\d+$/);
    await row('DROP-0002').waitFor();
    expect(await row('DROP-0001').count()).toBe(1);
    expect(await row('DROP-0002').count()).toBe(1);
    await page.locator('#conn-status[data-state=live]').waitFor();

    // And live after that.
    await raise('DROP-0003');
    await row('DROP-0003').waitFor();
    // The one expected: the page asks who is signed in before sign-in (401).
    expect(problems.filter((p) => !/Failed to load resource: the server responded with a status of 401/.test(p))).toEqual([]);
  });
});
