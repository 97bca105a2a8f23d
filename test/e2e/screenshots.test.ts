import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway } from '../helpers/service.ts';
import { TestGateway, type Reading } from '../helpers/gateway.ts';
import { seedUser, signIn } from '../helpers/people.ts';
import { createPatient, enrolDevice } from '../../src/patients/service.ts';
import { launchBrowser, listen, openPage, signInThroughForm, type Listening } from './harness.ts';
import { testVault } from '../helpers/keys.ts';

// A queue with alerts of every priority, some acted on, one patient's two alerts grouped, as
// a clinician sees it; then the outcome report after a morning's resolutions, and the
// worklists; saved as screenshots. SCREENSHOT_DIR=docs/screenshots refreshes the ones the docs show;
// otherwise they go to a temporary directory.

const OUT = process.env.SCREENSHOT_DIR ? path.resolve(process.env.SCREENSHOT_DIR) : os.tmpdir();
const DAY = 86_400_000;

let tdb: TestDatabase;
let svc: Listening;
let browser: Browser;
let page: Page;
let seq = 0;

const reading = (device: string, metric: string, value: number, daysAgo = 0): Reading =>
  ({ device, seq: ++seq, at: new Date(Date.now() - daysAgo * DAY - 3600_000).toISOString(), metric, value });

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  svc = await listen(tdb.db, tdb.url, 0, { ALERT_ESCALATION_CHECK_MS: '200', ENGINE_CONNECTIVITY_CHECK_MS: '200' });
  const gw = await TestGateway.open(svc.wsUrl, (await seedGateway(tdb.db, 'mri')).key);
  // Most devices are enrolled; one is not yet, as happens in a clinic.
  const site = await tdb.db.selectFrom('sites').select('id').where('code', '=', 'mri').executeTakeFirstOrThrow();
  const people: Array<[string, string, string]> = [
    ['MDT-PZC600368S', 'Okafor', 'Grace'], ['BSC-D433-118204', 'Hughes', 'Alan'], ['SJM-CD3371-40Q', 'Patel', 'Meera'],
    ['MDT-DTBA1D4-2211', 'Kowalski', 'Jan'], ['BIO-ACTICOR7-0458', 'Evans', 'Rhian'], ['MDT-W1DR01-77310', 'Brown', 'Peter'],
    ['BSC-L331-99120', 'Mensah', 'Ama'],
  ];
  for (const [i, [serial, familyName, givenName]] of people.entries()) {
    const id = await createPatient(tdb.db, await testVault(tdb.db), { site: 'mri', familyName, givenName, dateOfBirth: `19${40 + i * 4}-0${1 + i}-1${i}` }, Date.now());
    await enrolDevice(tdb.db, await testVault(tdb.db), { id, siteId: site.id }, serial, { createDevice: true });
  }
  const batches: Reading[][] = [
    // Silent for four days while the site's other devices report: connectivity_loss (low).
    [reading('BSC-L331-99120', 'heart_rate', 64, 4)],
    [reading('MDT-PZC600368S', 'vt_episodes', 2)],
    // The VT's shock: the same patient, grouped under the VT in the queue.
    [reading('MDT-PZC600368S', 'shocks_delivered', 1)],
    [reading('BSC-D433-118204', 'shocks_delivered', 1)],
    [reading('SJM-CD3371-40Q', 'rv_lead_impedance', 2450)],
    [reading('MDT-DTBA1D4-2211', 'af_burden', 9.5)],
    [reading('BIO-ACTICOR7-0458', 'battery_status', 3)],
    [reading('MDT-W1DR01-77310', 'rv_capture_threshold', 3.9)],
    [reading('SJM-PM2272-11876', 'af_burden', 7.2)],
  ];
  for (const [i, b] of batches.entries()) expect((await gw.batch(`s${i}`, b)).accepted).toBe(b.length);
  gw.close();

  const clinician = await seedUser(tdb.db, 'clinician', ['mri']);
  const colleague = await seedUser(tdb.db, 'clinician', ['mri']);
  // A colleague has already picked one up, as happens in a clinic.
  const cookie = await signIn(svc.httpUrl, colleague.email);
  const post = (id: string, action: string, body: unknown) =>
    fetch(`${svc.httpUrl}/v1/alerts/${id}/${action}`, { method: 'POST', headers: { cookie, origin: svc.httpUrl, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const { alerts } = (await (await fetch(`${svc.httpUrl}/v1/alerts`, { headers: { cookie } })).json()) as { alerts: Array<{ id: string; device: string }> };
  const idOf = (device: string) => alerts.find((a) => a.device === device)!.id;
  expect((await post(idOf('SJM-CD3371-40Q'), 'acknowledge', { comment: 'Lead check booked for Thursday clinic.' })).status).toBe(200);
  expect((await post(idOf('MDT-DTBA1D4-2211'), 'assign', { assignee: colleague.id })).status).toBe(200);
  // Raised 20 minutes ago and still open: the service escalates it.
  await tdb.db.updateTable('alerts').set({ raised_at: new Date(Date.now() - 20 * 60_000) }).where('id', '=', Number(idOf('MDT-PZC600368S').slice(2))).execute();

  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  ({ page } = await openPage(context));
  await signInThroughForm(page, svc.httpUrl, clinician.email, clinician.password);
  resolveAs = async (device, resolution, outcome) => {
    const { alerts: open } = (await (await fetch(`${svc.httpUrl}/v1/alerts`, { headers: { cookie } })).json()) as { alerts: Array<{ id: string; device: string; status: string }> };
    const a = open.find((x) => x.device === device && x.status !== 'resolved')!;
    expect((await post(a.id, 'resolve', { resolution, outcome })).status).toBe(200);
  };
});

let resolveAs: (device: string, resolution: string, outcome: string) => Promise<void>;

afterAll(async () => {
  await browser?.close();
  await svc?.close();
  await tdb?.drop();
});

describe('screenshots', () => {
  it('the queue: priorities in order, escalation flagged, a patient’s alerts grouped, an alert selected', async () => {
    await page.locator('#queue-rows tr .badge-esc').waitFor();
    await page.locator('#queue-rows tr .prio', { hasText: 'Low' }).waitFor();
    await page.locator('#queue-rows tr').nth(7).waitFor();
    // The VT leads its patient's group; the shock is named in it, one click away.
    await page.locator('#queue-rows tr.group-head', { hasText: 'MDT-PZC600368S' }).getByRole('button', { name: '1 more alert' }).waitFor();
    const priorities = await page.locator('#queue-rows tr .prio').allTextContents();
    expect(priorities).toEqual([...priorities].sort((a, b) => ['High', 'Medium', 'Low'].indexOf(a) - ['High', 'Medium', 'Low'].indexOf(b)));
    await page.locator('#queue-rows tr', { hasText: 'SJM-CD3371-40Q' }).click();
    await page.locator('#alert-history li', { hasText: 'Lead check booked' }).waitFor();
    await page.screenshot({ path: path.join(OUT, 'queue.png'), fullPage: false });
  });

  it('the outcome report after a morning’s resolutions: outcomes per kind and PPV', async () => {
    await resolveAs('SJM-CD3371-40Q', 'actioned', 'confirmed_treated');
    await resolveAs('MDT-DTBA1D4-2211', 'not_actionable', 'known_condition');
    await resolveAs('BIO-ACTICOR7-0458', 'patient_contacted', 'confirmed_no_change');
    await resolveAs('MDT-W1DR01-77310', 'not_actionable', 'artefact');
    await resolveAs('SJM-PM2272-11876', 'other', 'other_cause');
    await page.goto(`${svc.httpUrl}/reports/outcomes`);
    await page.getByRole('heading', { name: 'Outcomes' }).waitFor();
    const lead = page.locator('#outcomes-report tbody tr', { hasText: 'Lead' });
    await lead.waitFor();
    await expect(lead.textContent()).resolves.toMatch(/100 %/);
    await page.screenshot({ path: path.join(OUT, 'outcomes.png'), fullPage: false });
  });

  it('the worklists: the silent device overdue, open alerts by assignee', async () => {
    // Its last transmission arrived four days ago (the batch above was sent just now).
    const silent = await tdb.db.selectFrom('devices').select('id').where('serial', '=', 'BSC-L331-99120').executeTakeFirstOrThrow();
    await tdb.db.updateTable('readings').set({ received_at: new Date(Date.now() - 4 * DAY) }).where('device_id', '=', silent.id).execute();
    await page.goto(`${svc.httpUrl}/worklists`);
    await page.locator('#overdue-table tbody tr', { hasText: 'BSC-L331-99120' }).waitFor();
    await page.getByRole('heading', { name: 'Open alerts by assignee' }).waitFor();
    await page.screenshot({ path: path.join(OUT, 'worklists.png'), fullPage: false });
  });
});
