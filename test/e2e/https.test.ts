// The dashboard over HTTPS in a real browser. Chromium is told to accept the service's own
// public key (--ignore-certificate-errors-spki-list with the served certificate's SPKI hash:
// it applies to the chain the server sends, which holds the leaf, not the CA), rather than
// every certificate error (ignoreHTTPSErrors); a browser without it refuses the page, as
// the last test shows. Sign in, see the queue fed live over WSS; the session cookie is
// Secure and HSTS is sent.
import { createHash, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import { TestGateway } from '../helpers/gateway.ts';
import { seedUser } from '../helpers/people.ts';
import { createTestPki, type TestPki } from '../helpers/tls.ts';
import { CHROMIUM, signInThroughForm, vtReading } from './harness.ts';

let tdb: TestDatabase;
let pki: TestPki;
let svc: RunningService;
let browser: Browser;
let page: Page;
let gatewayKey: string;

/** base64(SHA-256(SubjectPublicKeyInfo)) of a certificate: what Chromium's SPKI list takes. */
function spkiHash(pem: string): string {
  const spki = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

async function launch(spki: string | null): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', ...(spki ? [`--ignore-certificate-errors-spki-list=${spki}`] : [])],
  });
}

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  pki = await createTestPki();
  svc = await startService(tdb.db, tdb.url, pki.env);
  gatewayKey = (await seedGateway(tdb.db, 'https')).key;
  browser = await launch(spkiHash(pki.server.cert));
  page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
});

afterAll(async () => {
  await browser?.close();
  await svc?.close();
  await tdb?.drop();
  pki?.remove();
});

describe('the dashboard over HTTPS', () => {
  it('is served with HSTS to a browser that trusts the CA', async () => {
    expect(svc.httpUrl).toMatch(/^https:/);
    const res = await page.goto(`${svc.httpUrl}/`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['strict-transport-security']).toBe('max-age=31536000');
    const security = await res?.securityDetails();
    expect(security?.subjectName).toBe('localhost');
  });

  it('signs in with a Secure session cookie and shows the queue, fed live over WSS', async () => {
    const clinician = await seedUser(tdb.db, 'clinician', ['https']);
    await signInThroughForm(page, svc.httpUrl, clinician.email, clinician.password);
    const cookies = await page.context().cookies(svc.httpUrl);
    expect(cookies.find((c) => c.name === 'session')).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Strict' });
    await page.locator('#conn-status', { hasText: 'Live' }).waitFor();
    const gw = await TestGateway.open(svc.wsUrl, gatewayKey, {}, true, { ca: pki.ca.cert });
    expect(await gw.batch('https-1', [vtReading('HTTPS-0001')])).toMatchObject({ accepted: 1 });
    gw.close();
    await page.locator('#queue-rows tr', { hasText: 'HTTPS-0001' }).waitFor();
  });

  it('a browser that does not trust the CA refuses the page', async () => {
    const wary = await launch(null);
    try {
      const p = await wary.newPage();
      await expect(p.goto(`${svc.httpUrl}/`)).rejects.toThrow(/ERR_CERT_AUTHORITY_INVALID/);
    } finally {
      await wary.close();
    }
  });
});
