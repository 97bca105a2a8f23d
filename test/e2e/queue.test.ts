import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway } from '../helpers/service.ts';
import { TestGateway } from '../helpers/gateway.ts';
import { freePort, startServiceProcess, type ServiceProcess } from '../helpers/process.ts';
import { seedUser } from '../helpers/people.ts';
import { createPatient, enrolDevice } from '../../src/patients/service.ts';
import { launchBrowser, listen, openPage, signInThroughForm, vtReading } from './harness.ts';
import { testVault } from '../helpers/keys.ts';

// The alert queue in a real browser: sign-in, live alerts, acknowledge and resolve,
// and a service restart under an open page. The service is a child process on a fixed
// port, stopped with SIGTERM as an operator stops it, and started again on that port.

let tdb: TestDatabase;
let port: number;
let env: Record<string, string>;
let child: ServiceProcess;
let svc: { httpUrl: string; wsUrl: string };
let gatewayKey: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let problems: string[];
let clinician: { email: string; password: string };
/** The patient whose device raises the notified alert: nothing of theirs may be in a notification. */
const notified = { device: 'E2E-NOTE', familyName: 'Notifyson', givenName: 'Harriet', nhsNumber: '9434765919', dateOfBirth: '1948-05-06', ref: '' };

const row = (device: string) => page.locator('#queue-rows tr', { hasText: device });

async function raise(url: string, device: string): Promise<void> {
  const gw = await TestGateway.open(url, gatewayKey);
  const ack = await gw.batch(`b-${device}`, [vtReading(device)]);
  gw.close();
  expect(ack.accepted).toBe(1);
}

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  port = await freePort();
  // A short grace: the page's stream socket is still open when the stop begins.
  env = { DATABASE_URL: tdb.url, SHUTDOWN_GRACE_MS: '1000', ALERT_ESCALATION_CHECK_MS: '200' };
  child = await startServiceProcess(env, [], port);
  svc = { httpUrl: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}/v1/ingest` };
  gatewayKey = (await seedGateway(tdb.db, 'mri')).key;
  clinician = await seedUser(tdb.db, 'clinician', ['mri']);
  // Enrolled before sign-in, so the page's patient directory knows the name from its first load.
  const site = await tdb.db.selectFrom('sites').select('id').where('code', '=', 'mri').executeTakeFirstOrThrow();
  const patientId = await createPatient(tdb.db, await testVault(tdb.db), { site: 'mri', ...notified }, Date.now());
  await enrolDevice(tdb.db, await testVault(tdb.db), { id: patientId, siteId: site.id }, notified.device, { createDevice: true });
  notified.ref = `p-${patientId}`;
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  // The browser's Notification, recorded: headless chromium shows nothing to look at.
  await context.addInitScript({
    content: `window.__notified = [];
      window.Notification = class { static permission = 'granted';
        static requestPermission() { return Promise.resolve('granted'); }
        constructor(title, options) { window.__notified.push(title + ' | ' + (options && options.body)); }
        close() {} };`,
  });
  ({ page, problems } = await openPage(context));
});

afterAll(async () => {
  await browser?.close();
  await child?.stop();
  await tdb?.drop();
});

describe('the dashboard queue', () => {
  it('serves the page with a strict content security policy and no inline script', async () => {
    const res = await fetch(`${svc.httpUrl}/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('same-origin');
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect((await fetch(`${svc.httpUrl}/assets/vendor/uPlot.esm.js`)).status).toBe(200);
    expect((await fetch(`${svc.httpUrl}/assets/..%2Fplugin.ts`)).status).toBe(404);
  });

  it('refuses a wrong password with a message, then signs in', async () => {
    await page.goto(`${svc.httpUrl}/`);
    await page.getByLabel('Email').fill(clinician.email);
    await page.getByLabel('Password').fill('not the password at all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'not recognised' }).textContent()).resolves.toContain('Email or password not recognised');
    await signInThroughForm(page, svc.httpUrl, clinician.email, clinician.password);
    await page.locator('#conn-status', { hasText: 'Live' }).waitFor();
  });

  it('says when sign-in is paused after too many failures (429)', async () => {
    const other = await seedUser(tdb.db, 'clinician', ['mri']);
    const p2 = await context.browser()!.newPage();
    await p2.goto(`${svc.httpUrl}/`);
    for (let i = 0; i < 6; i++) {
      await p2.getByLabel('Email').fill(other.email);
      await p2.getByLabel('Password').fill(`wrong password ${i}`);
      await p2.getByRole('button', { name: 'Sign in' }).click();
      await p2.locator('#signin-error:not([hidden])').waitFor();
      await p2.getByRole('button', { name: 'Sign in' }).and(p2.locator(':enabled')).waitFor();
    }
    await p2.getByRole('alert').filter({ hasText: 'Too many failed sign-ins' }).waitFor();
    await p2.close();
  });

  it('shows a new alert from a reading without a reload', async () => {
    await page.evaluate(() => Object.assign(globalThis, { __sameDocument: true }));
    await raise(svc.wsUrl, 'E2E-0001');
    await row('E2E-0001').waitFor();
    await expect(row('E2E-0001').textContent()).resolves.toMatch(/High.*Ventricular arrhythmia/s);
    expect(await page.evaluate(() => (globalThis as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
  });

  it('shows the patient’s heart-failure risk and the device type beside the alert', async () => {
    // A patient of the site with a CRT-D that has sent only a VT episode: the service scores
    // its HF risk as a Low on too little data, and the queue says so beside the name.
    const site = await tdb.db.selectFrom('sites').select('id').where('code', '=', 'mri').executeTakeFirstOrThrow();
    const id = await createPatient(tdb.db, await testVault(tdb.db), { site: 'mri', familyName: 'Riskwell', givenName: 'Ada', dateOfBirth: '1950-01-01' }, Date.now());
    await enrolDevice(tdb.db, await testVault(tdb.db), { id, siteId: site.id }, 'E2E-RISK', { createDevice: true, deviceType: 'crt_d' });
    await raise(svc.wsUrl, 'E2E-RISK');
    const r = row('E2E-RISK');
    await r.getByText('Ada Riskwell').waitFor();
    const html = await r.innerHTML();
    await expect(r.locator('.risk').textContent(), html).resolves.toBe('HF Insufficient data');
    const stored = await sql<{ status: string; insufficient_data: boolean }>`
      SELECT status, insufficient_data FROM device_risk WHERE device_id = (SELECT device_id FROM enrolments WHERE patient_id = ${id})`.execute(tdb.db);
    expect(stored.rows).toEqual([{ status: 'Low', insufficient_data: true }]);
    await expect(r.locator('.device-type').textContent(), html).resolves.toBe(' · CRT-D');
  });

  it('shows when the event happened on the device beside when the service received it', async () => {
    // A transmission that arrives two days after the episode it reports.
    const onDevice = new Date(Date.now() - 2 * 86_400_000);
    const gw = await TestGateway.open(svc.wsUrl, gatewayKey);
    expect((await gw.batch('late-vt', [vtReading('E2E-LATE', onDevice)])).accepted).toBe(1);
    gw.close();
    const cell = row('E2E-LATE').locator('td.c-when');
    await cell.waitFor();
    const when = await cell.locator('time.event-time').getAttribute('datetime');
    expect(Date.parse(when!)).toBe(onDevice.getTime());
    await expect(cell.locator('.received').textContent()).resolves.toMatch(/^received .+ · just now$/);
  });

  it('acknowledges, then resolves with a resolution and a comment shown as text', async () => {
    await row('E2E-0001').click();
    await page.getByRole('button', { name: 'Acknowledge' }).click();
    await row('E2E-0001').locator('.status', { hasText: 'Acknowledged' }).waitFor();
    await page.locator('#alert-history li', { hasText: 'Acknowledged' }).waitFor();

    const comment = 'Called the patient <img src=x onerror="document.title=1"> & booked a check';
    await page.getByLabel('Resolution').selectOption('patient_contacted');
    await page.getByLabel('Outcome', { exact: true }).selectOption('confirmed_treated');
    await page.getByLabel('Comment', { exact: true }).fill(comment);
    await page.getByRole('button', { name: 'Resolve' }).click();
    await row('E2E-0001').waitFor({ state: 'detached' });
    await page.locator('#alert-history li', { hasText: 'Resolution: Patient contacted' }).waitFor();
    await expect(page.locator('#alert-history blockquote').first().textContent()).resolves.toBe(comment);
    expect(await page.locator('#alert-history img').count()).toBe(0);

    await page.getByLabel('Status').selectOption('resolved');
    await row('E2E-0001').locator('.status', { hasText: 'Resolved' }).waitFor();
    await page.getByLabel('Status').selectOption('active');
  });

  it('works from the keyboard: move with j and k, acknowledge with a, assign with m, filter to mine', async () => {
    await raise(svc.wsUrl, 'E2E-KEY1');
    await raise(svc.wsUrl, 'E2E-KEY2');
    await row('E2E-KEY2').waitFor();
    await row('E2E-KEY1').click();
    await page.keyboard.press('j');
    await page.locator('#queue-rows tr.selected', { hasText: 'E2E-KEY2' }).waitFor();
    await page.keyboard.press('k');
    await page.locator('#queue-rows tr.selected', { hasText: 'E2E-KEY1' }).waitFor();
    await page.keyboard.press('a');
    await row('E2E-KEY1').locator('.status', { hasText: 'Acknowledged' }).waitFor();
    await page.keyboard.press('m');
    await row('E2E-KEY1').getByText('Assigned to me').waitFor();
    await page.getByLabel('Assigned to me').check();
    await row('E2E-KEY2').waitFor({ state: 'detached' });
    await row('E2E-KEY1').waitFor();
    await page.getByLabel('Assigned to me').uncheck();
    await row('E2E-KEY2').waitFor();
  });

  it('snoozes an alert out of the queue until asked for, and adds a comment', async () => {
    await row('E2E-KEY2').click();
    await page.getByLabel('Comment', { exact: true }).fill('Device clinic to call in the morning.');
    await page.getByRole('button', { name: 'Add comment' }).click();
    await page.locator('#alert-history blockquote', { hasText: 'Device clinic to call in the morning.' }).waitFor();
    await page.getByLabel('Snooze for').selectOption('4');
    await page.getByRole('button', { name: 'Snooze' }).click();
    await row('E2E-KEY2').waitFor({ state: 'detached' });
    await page.locator('#queue-counts', { hasText: '1 snoozed not shown' }).waitFor();
    await page.getByLabel('Show snoozed').check();
    await row('E2E-KEY2').getByText(/^Snoozed until/).waitFor();
    await page.getByLabel('Show snoozed').uncheck();
  });

  it('with sound and notifications on, notifies a new high alert by priority, kind and site, naming no patient', async () => {
    const toggle = page.getByRole('button', { name: /Sound and notifications/ });
    await expect(toggle.getAttribute('aria-pressed')).resolves.toBe('false');
    await toggle.click();
    await page.locator('#notify-toggle[aria-pressed=true]').waitFor();
    await raise(svc.wsUrl, notified.device);
    // The dashboard itself names the patient...
    await row(notified.device).getByText(`${notified.givenName} ${notified.familyName}`).waitFor();
    const shown = await page.evaluate(() => (globalThis as { __notified?: string[] }).__notified ?? []);
    // ...the notification, which a locked screen shows to anyone passing, does not.
    expect(shown).toEqual(['High: Ventricular arrhythmia | Site mri. Open the dashboard for the patient.']);
    for (const text of shown) {
      for (const secret of [notified.familyName, notified.givenName, notified.nhsNumber, notified.dateOfBirth, notified.ref, notified.device]) {
        expect(text).not.toContain(secret);
      }
    }
    await toggle.click();
    await page.locator('#notify-toggle[aria-pressed=false]').waitFor();
  });

  it('tags an alert that worsens while open, moves it up and notifies it like a new high one', async () => {
    const toggle = page.getByRole('button', { name: /Sound and notifications/ });
    await toggle.click();
    await page.locator('#notify-toggle[aria-pressed=true]').waitFor();
    const gw = await TestGateway.open(svc.wsUrl, gatewayKey);
    const t = Date.now() - 60_000;
    // Elective replacement: a medium battery alert. Then end of service: the same alert, high.
    expect((await gw.batch('bat-1', [{ device: 'E2E-BAT', seq: 1, at: new Date(t).toISOString(), metric: 'battery_status', value: 3 }])).accepted).toBe(1);
    await row('E2E-BAT').locator('.prio-medium').waitFor();
    const before = await page.evaluate(() => ((globalThis as { __notified?: string[] }).__notified ?? []).length);
    expect((await gw.batch('bat-2', [{ device: 'E2E-BAT', seq: 2, at: new Date(t + 1000).toISOString(), metric: 'battery_status', value: 4 }])).accepted).toBe(1);
    gw.close();
    await row('E2E-BAT').locator('.badge-worse', { hasText: 'Worse (was Medium)' }).waitFor();
    await row('E2E-BAT').locator('.prio-high').waitFor();
    const shown = await page.evaluate(() => (globalThis as { __notified?: string[] }).__notified ?? []);
    expect(shown.slice(before)).toEqual(['High (was Medium): Battery | Site mri. Open the dashboard for the patient.']);
    // The alert in words: the opening reading by its device time and meaning, not its seq.
    await row('E2E-BAT').click();
    const trigger = page.locator('dl.facts dt', { hasText: 'Trigger' }).locator('xpath=following-sibling::dd[1]');
    await expect(trigger.textContent()).resolves.toMatch(/^Battery status elective replacement \(ERI\) on /);
    await page.locator('ul.evidence li', { hasText: 'Battery status: end of service (EOS)' }).waitFor();
    // Among the high alerts now, above every medium one.
    const order = await page.locator('#queue-rows tr').evaluateAll((rows) => rows.map((r) => ({ cls: r.className, text: r.textContent ?? '' })));
    const at = order.findIndex((r) => r.text.includes('E2E-BAT'));
    expect(at).toBeGreaterThanOrEqual(0);
    expect(order.slice(0, at + 1).every((r) => r.cls.includes('prio-high'))).toBe(true);
    await toggle.click();
    await page.locator('#notify-toggle[aria-pressed=false]').waitFor();
  });

  it('flags an escalated alert, with the flag in words', async () => {
    await raise(svc.wsUrl, 'E2E-ESC1');
    await row('E2E-ESC1').waitFor();
    // Fixture: the alert was raised 20 minutes ago, so the service's escalation check picks it up.
    const device = tdb.db.selectFrom('devices').select('id').where('serial', '=', 'E2E-ESC1');
    await tdb.db.updateTable('alerts').set({ raised_at: new Date(Date.now() - 20 * 60_000) }).where('device_id', '=', device).execute();
    await row('E2E-ESC1').locator('.badge-esc', { hasText: 'Escalated' }).waitFor();
  });

  it('filters by priority and status', async () => {
    await page.getByLabel('Priority').selectOption('medium');
    await row('E2E-ESC1').waitFor({ state: 'detached' });
    await page.locator('#queue-counts', { hasText: '0 alerts' }).waitFor();
    await page.getByLabel('Priority').selectOption('high');
    await row('E2E-ESC1').waitFor();
    await page.getByLabel('Status').selectOption('acknowledged');
    await row('E2E-ESC1').waitFor({ state: 'detached' });
    await row('E2E-KEY1').waitFor();
    await page.getByLabel('Status').selectOption('active');
    await page.getByLabel('Priority').selectOption('');
    await row('E2E-ESC1').waitFor();
  });

  it('shows a banner when the service goes away, reconnects, and catches up on what it missed', async () => {
    await child.stop('SIGTERM');
    const banner = page.locator('#banner.banner-down');
    await banner.waitFor();
    await expect(banner.textContent()).resolves.toContain('Live updates interrupted');
    await page.locator('#conn-status[data-state=down]').waitFor();

    // Meanwhile another instance on the same database raises an alert this page never saw live.
    const other = await listen(tdb.db, tdb.url, 0);
    await raise(other.wsUrl, 'E2E-0002');
    await other.close();

    child = await startServiceProcess(env, [], port);
    await page.locator('#banner.banner-ok', { hasText: 'Reconnected' }).waitFor();
    await row('E2E-0002').waitFor();
    await page.locator('#conn-status[data-state=live]').waitFor();

    // And live again after that.
    await raise(svc.wsUrl, 'E2E-0003');
    await row('E2E-0003').waitFor();
    expect(await page.evaluate(() => (globalThis as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
  });

  it('reported no script errors and no blocked resources', () => {
    // Expected: the failed connection attempts while the service was down, and the refusals the
    // page handles (401 before sign-in, the wrong passwords). Nothing else may show up.
    const expected = /WebSocket connection to .* failed|Failed to load resource: (the server responded with a status of 401|net::ERR_CONNECTION_REFUSED)/;
    expect(problems.filter((p) => !expected.test(p))).toEqual([]);
  });

  it('signs out back to the sign-in page', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByText('You have signed out.').waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  });
});
