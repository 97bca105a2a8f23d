import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway } from '../helpers/service.ts';
import { TestGateway } from '../helpers/gateway.ts';
import { seedUser, signIn } from '../helpers/people.ts';
import { createPatient, enrolDevice } from '../../src/patients/service.ts';
import { launchBrowser, listen, openPage, signInThroughForm, vtReading, type Listening } from './harness.ts';
import { testVault } from '../helpers/keys.ts';

// Outcomes in a real browser: a clinician resolves an alert choosing what it turned out to
// be; the API, the analyst's export, the patient page and the Outcomes page all show it.

const SERIAL = 'E2E-OUTCOME-1';
let tdb: TestDatabase;
let svc: Listening;
let browser: Browser;
let page: Page;
let problems: string[];
let clinician: { email: string; password: string };
let clinicianCookie: string;
let analystCookie: string;
let patientRef: string;
let alertId: string;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  svc = await listen(tdb.db, tdb.url, 0, { EXPORT_KEY: 'an e2e export key, long enough to be accepted' });
  const { key } = await seedGateway(tdb.db, 'mri');
  const site = await tdb.db.selectFrom('sites').select('id').where('code', '=', 'mri').executeTakeFirstOrThrow();
  const id = await createPatient(tdb.db, await testVault(tdb.db), { site: 'mri', familyName: 'Outcomeson', givenName: 'Ruth', dateOfBirth: '1946-02-03', sex: 'female' }, Date.now());
  await enrolDevice(tdb.db, await testVault(tdb.db), { id, siteId: site.id }, SERIAL, { createDevice: true, deviceType: 'icd' });
  patientRef = `p-${id}`;
  clinician = await seedUser(tdb.db, 'clinician', ['mri']);
  clinicianCookie = await signIn(svc.httpUrl, clinician.email);
  analystCookie = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'analyst', ['mri'])).email);
  const gw = await TestGateway.open(svc.wsUrl, key);
  expect((await gw.batch('vt', [vtReading(SERIAL)])).accepted).toBe(1);
  gw.close();
  browser = await launchBrowser();
  ({ page, problems } = await openPage(await browser.newContext({ viewport: { width: 1400, height: 900 } })));
});

afterAll(async () => {
  await browser?.close();
  await svc?.close();
  await tdb?.drop();
});

async function apiGet(path: string, cookie: string): Promise<Response> {
  return fetch(`${svc.httpUrl}${path}`, { headers: { cookie } });
}

describe('outcomes in the dashboard', () => {
  it('resolving needs an outcome: the form says so and nothing is saved until one is chosen', async () => {
    await signInThroughForm(page, svc.httpUrl, clinician.email, clinician.password);
    await page.locator('#queue-rows tr', { hasText: SERIAL }).first().click();
    const outcome = page.getByLabel('Outcome', { exact: true });
    await outcome.waitFor();
    // Nothing chosen to begin with, and every label of the vocabulary offered.
    await expect(outcome.inputValue()).resolves.toBe('');
    const options = await outcome.locator('option').allTextContents();
    expect(options).toEqual(expect.arrayContaining(['Choose…', 'Confirmed, no change to treatment', 'Artefact or false alert (device, lead, sensing)']));
    expect(options).toHaveLength(8);

    await page.getByLabel('Resolution').selectOption('actioned');
    await page.getByRole('button', { name: 'Resolve' }).click();
    await page.locator('#action-msg', { hasText: 'Choose what the alert turned out to be' }).waitFor();
    const res = await apiGet('/v1/alerts?status=resolved', clinicianCookie);
    expect(((await res.json()) as { alerts: unknown[] }).alerts).toEqual([]);
  });

  it('resolves with the chosen outcome; the detail and its history show it', async () => {
    await page.getByLabel('Outcome', { exact: true }).selectOption('confirmed_no_change');
    await page.getByRole('button', { name: 'Resolve' }).click();
    await page.locator('#action-msg', { hasText: 'Resolved.' }).waitFor();
    await page.locator('#alert-history li', { hasText: 'Outcome: Confirmed, no change to treatment' }).waitFor();
    await expect(page.locator('#detail-outcome').textContent()).resolves.toBe('Confirmed, no change to treatment');
    // Once resolved, the form offers to change the outcome instead of resolving.
    await expect(page.getByLabel('Recorded outcome').inputValue()).resolves.toBe('confirmed_no_change');
    expect(await page.getByRole('button', { name: 'Resolve' }).isVisible()).toBe(false);
  });

  it('GET /v1/alerts carries the outcome', async () => {
    const res = await apiGet('/v1/alerts?status=resolved', clinicianCookie);
    const { alerts } = (await res.json()) as { alerts: Array<{ id: string; device: string; outcome: string | null; status: string }> };
    expect(alerts).toEqual([expect.objectContaining({ device: SERIAL, status: 'resolved', outcome: 'confirmed_no_change' })]);
    alertId = alerts[0]!.id;
  });

  it('the analyst’s export carries it on the alert_resolved row', async () => {
    const res = await apiGet('/v1/exports/timeline?format=ndjson', analystCookie);
    expect(res.status).toBe(200);
    const rows = (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.filter((r) => r.event === 'alert_resolved')).toEqual([
      expect.objectContaining({ kind: 'ventricular_arrhythmia', resolution: 'actioned', outcome: 'confirmed_no_change', actor_role: 'clinician' }),
    ]);
  });

  it('the Outcomes page, from the top navigation, counts it under its kind', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Outcomes' }).click();
    await page.getByRole('heading', { name: 'Outcomes' }).waitFor();
    const vt = page.locator('#outcomes-report tbody tr', { hasText: 'Ventricular arrhythmia' });
    await vt.waitFor();
    await expect(vt.locator('td[data-outcome="confirmed_no_change"]').textContent()).resolves.toBe('1');
    await expect(vt.locator('td[data-outcome="artefact"]').textContent()).resolves.toBe('0');
    await expect(vt.locator('td.ppv').textContent()).resolves.toMatch(/^100 % \(\d+ %–100 %\)$/);
    expect(new URL(page.url()).pathname).toBe('/reports/outcomes');
    // A period before the alert: nothing.
    await page.getByLabel('Raised from').fill('2020-01-01');
    await page.getByLabel('Until (inclusive)').fill('2020-01-31');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByText('No alerts were raised in this period.').waitFor();
    expect(new URL(page.url()).search).toContain('from=2020-01-01');
  });

  it('an outcome changed later shows on the patient page and on the Outcomes page', async () => {
    await page.goto(`${svc.httpUrl}/`);
    await page.getByLabel('Status').selectOption('resolved');
    await page.locator('#queue-rows tr', { hasText: SERIAL }).first().click();
    await page.getByLabel('Recorded outcome').selectOption('artefact');
    await page.getByRole('button', { name: 'Save outcome' }).click();
    await page.locator('#alert-history li', { hasText: 'Outcome recorded' }).waitFor();
    await page.locator('#detail-outcome', { hasText: 'Artefact or false alert' }).waitFor();

    await page.goto(`${svc.httpUrl}/patients/${patientRef}`);
    await page.locator('table.patient-alerts .alert-outcome', { hasText: 'Outcome: Artefact or false alert' }).waitFor();

    await page.goto(`${svc.httpUrl}/reports/outcomes`);
    const vt = page.locator('#outcomes-report tbody tr', { hasText: 'Ventricular arrhythmia' });
    await expect(vt.locator('td[data-outcome="artefact"]').textContent()).resolves.toBe('1');
    await expect(vt.locator('td.ppv').textContent()).resolves.toMatch(/^0 % /);
    const history = await apiGet(`/v1/alerts/${alertId}/history`, clinicianCookie);
    expect(((await history.json()) as { history: Array<{ type: string; outcome?: string }> }).history.filter((e) => e.type === 'outcome'))
      .toEqual([expect.objectContaining({ outcome: 'artefact' })]);
    // The only failed request is the session check before signing in.
    expect(problems.filter((p) => !/status of 401/.test(p))).toEqual([]);
  });
});
