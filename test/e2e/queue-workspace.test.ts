import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page, Request } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway } from '../helpers/service.ts';
import { TestGateway, type Reading } from '../helpers/gateway.ts';
import { sameOrigin, seedUser, signIn } from '../helpers/people.ts';
import { createPatient, enrolDevice } from '../../src/patients/service.ts';
import { launchBrowser, listen, openPage, signInThroughForm, vtReading, type Listening } from './harness.ts';
import { testVault } from '../helpers/keys.ts';

// The alert queue as a device clinic's workspace, in a real browser: a patient's alerts
// grouped under the worst, bulk acknowledge and resolve with one comment (and a refusal
// reported per alert), and the filters by HF risk, device type, assignee and site kept in
// the address across a reload.

let tdb: TestDatabase;
let svc: Listening;
let browser: Browser;
let page: Page;
let problems: string[];
let me: { id: number; email: string; password: string };
let colleague: { id: number; email: string; password: string };
let myCookie: string;
let colleagueCookie: string;
let grouped: string;
let keys: Record<string, string>;

const row = (device: string) => page.locator('#queue-rows tr', { hasText: device });
const pick = (device: string) => row(device).locator('input.pick');

async function send(site: string, readings: Reading[]): Promise<void> {
  const gw = await TestGateway.open(svc.wsUrl, keys[site]!);
  const ack = await gw.batch(`b-${readings[0]!.device}-${readings[0]!.seq}`, readings);
  gw.close();
  expect(ack.accepted).toBe(readings.length);
}

/** An alert, or a history event, as the API gives it: only the fields the test reads. */
type Json = Record<string, unknown> & { id?: string; device?: string; type?: string; alerts?: Json[]; history?: Json[] };

async function apiAs(cookie: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${svc.httpUrl}${path}`, {
    method,
    headers: { cookie, ...sameOrigin(svc.httpUrl), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Json };
}

/** The alert of `device` as GET /v1/alerts gives it (every status). */
async function alertOf(device: string): Promise<Json> {
  const { json } = await apiAs(myCookie, 'GET', '/v1/alerts?status=open,acknowledged,resolved&limit=1000');
  const found = (json.alerts ?? []).filter((a) => a.device === device);
  expect(found).toHaveLength(1);
  return found[0]!;
}

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  svc = await listen(tdb.db, tdb.url, 0);
  keys = { mri: (await seedGateway(tdb.db, 'mri')).key, ward: (await seedGateway(tdb.db, 'ward')).key };
  me = await seedUser(tdb.db, 'clinician', ['mri', 'ward']);
  colleague = await seedUser(tdb.db, 'clinician', ['mri']);
  const vault = await testVault(tdb.db);
  const sites = Object.fromEntries((await tdb.db.selectFrom('sites').select(['id', 'code']).execute()).map((s) => [s.code, s.id]));
  // One patient with two alerts on a CRT-D (a VT, high; a battery at elective replacement,
  // medium), one with a pacemaker at the other site.
  const g = await createPatient(tdb.db, vault, { site: 'mri', familyName: 'Groupwell', givenName: 'Ada', dateOfBirth: '1950-01-01' }, Date.now());
  await enrolDevice(tdb.db, vault, { id: g, siteId: sites.mri! }, 'WS-GROUP', { createDevice: true, deviceType: 'crt_d' });
  grouped = `p-${g}`;
  const p = await createPatient(tdb.db, vault, { site: 'ward', familyName: 'Pacer', givenName: 'Bea', dateOfBirth: '1940-02-02' }, Date.now());
  await enrolDevice(tdb.db, vault, { id: p, siteId: sites.ward! }, 'WS-PACED', { createDevice: true, deviceType: 'pacemaker' });
  const t = Date.now() - 3_600_000;
  // The battery first: the VT leads the group by priority, not by being older.
  await send('mri', [{ device: 'WS-GROUP', seq: 1, at: new Date(t).toISOString(), metric: 'battery_status', value: 3 }]);
  await send('mri', [{ device: 'WS-GROUP', seq: 2, at: new Date(t + 1000).toISOString(), metric: 'vt_episodes', value: 1 }]);
  await send('ward', [{ device: 'WS-PACED', seq: 1, at: new Date(t).toISOString(), metric: 'battery_status', value: 3 }]);
  for (const d of ['WS-ACK1', 'WS-ACK2', 'WS-ACK3', 'WS-RES1', 'WS-RES2', 'WS-RACE1', 'WS-RACE2']) await send('mri', [vtReading(d)]);
  myCookie = await signIn(svc.httpUrl, me.email);
  colleagueCookie = await signIn(svc.httpUrl, colleague.email);
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  ({ page, problems } = await openPage(context));
  await signInThroughForm(page, svc.httpUrl, me.email, me.password);
  await page.locator('#conn-status', { hasText: 'Live' }).waitFor();
});

afterAll(async () => {
  await browser?.close();
  await svc?.close();
  await tdb?.drop();
});

describe('the queue as a workspace', () => {
  it('groups a patient’s alerts in one row led by the worst, expandable with a button and the keyboard', async () => {
    const group = page.locator(`#queue-rows tr[data-group="${grouped}"]`);
    await group.first().getByText('Ada Groupwell').waitFor();
    // Collapsed: one row, the VT (high) leading, the battery named in it.
    expect(await group.count()).toBe(1);
    const head = group.first();
    await expect(head.getAttribute('class')).resolves.toContain('prio-high');
    await expect(head.locator('.kind').textContent()).resolves.toContain('Ventricular arrhythmia');
    await expect(head.locator('.group-list').textContent()).resolves.toContain('Battery (Medium)');
    const toggle = head.getByRole('button', { name: '1 more alert' });
    await expect(toggle.getAttribute('aria-expanded')).resolves.toBe('false');
    await toggle.click();
    await expect.poll(() => group.count()).toBe(2);
    await expect(head.getByRole('button', { name: '1 more alert' }).getAttribute('aria-expanded')).resolves.toBe('true');
    const rows = await group.evaluateAll((els) => els.map((e) => ({ cls: e.className, kind: e.querySelector('.kind')?.textContent ?? '' })));
    expect(rows[0]!.cls).toContain('prio-high');
    expect(rows[0]!.kind).toContain('Ventricular arrhythmia');
    expect(rows[1]!.cls).toContain('prio-medium');
    expect(rows[1]!.kind).toContain('Battery');
    // The focus stays on the button it was pressed with.
    expect(await page.locator('#queue-rows .group-toggle:focus').count()).toBe(1);

    // From the keyboard: ← on the group's row hides the battery, → shows it again.
    await group.first().locator('td.c-prio').click();
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => group.count()).toBe(1);
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => group.count()).toBe(2);
    // A patient with one alert is a plain row.
    await expect(row('WS-PACED').getAttribute('class')).resolves.not.toContain('group-head');
    expect(await row('WS-PACED').locator('.group-toggle').count()).toBe(0);
  });

  it('acknowledges three alerts at once with one comment', async () => {
    expect(await page.locator('#bulk-bar').count()).toBe(0);
    for (const d of ['WS-ACK1', 'WS-ACK2', 'WS-ACK3']) await pick(d).check();
    await page.locator('#bulk-count', { hasText: '3 alerts selected' }).waitFor();
    const comment = 'Reviewed in clinic <b>all three</b>';
    await page.getByLabel('Comment for all selected').fill(comment);
    await page.getByRole('button', { name: 'Acknowledge selected', exact: true }).click();
    await page.locator('#bulk-report', { hasText: '3 of 3 acknowledged.' }).waitFor();
    for (const d of ['WS-ACK1', 'WS-ACK2', 'WS-ACK3']) await row(d).locator('.status', { hasText: 'Acknowledged' }).waitFor();
    // Done with: the selection is empty and the bar gone.
    await page.locator('#bulk-bar').waitFor({ state: 'detached' });
    for (const d of ['WS-ACK1', 'WS-ACK2', 'WS-ACK3']) {
      const a = await alertOf(d);
      expect(a.status).toBe('acknowledged');
      const { json } = await apiAs(myCookie, 'GET', `/v1/alerts/${a.id}/history`);
      const acks = (json.history ?? []).filter((e) => e.type === 'acknowledged');
      expect(acks).toEqual([expect.objectContaining({ actor: me.email, comment })]);
    }
  });

  it('reports per alert what was not changed: skipped as already acknowledged, refused when someone else was first', async () => {
    const race = await alertOf('WS-RACE2');
    // The colleague acknowledges WS-RACE2 just as this page's request for it leaves.
    await page.route(`**/v1/alerts/${race.id}/acknowledge`, async (route) => {
      expect((await apiAs(colleagueCookie, 'POST', `/v1/alerts/${race.id}/acknowledge`, {})).status).toBe(200);
      await route.continue();
    });
    for (const d of ['WS-ACK1', 'WS-RACE1', 'WS-RACE2']) await pick(d).check();
    await page.getByRole('button', { name: 'Acknowledge selected', exact: true }).click();
    await page.locator('#bulk-report', { hasText: '1 of 3 acknowledged. 2 not acknowledged:' }).waitFor();
    await expect(page.locator('#bulk-failures li', { hasText: 'WS-ACK1' }).textContent()).resolves.toMatch(/: already acknowledged$/);
    await expect(page.locator('#bulk-failures li', { hasText: 'WS-RACE2' }).textContent()).resolves.toContain(`: already acknowledged by ${colleague.email}`);
    expect(await page.locator('#bulk-failures li', { hasText: 'WS-RACE1' }).count()).toBe(0);
    await page.unroute(`**/v1/alerts/${race.id}/acknowledge`);
    expect((await alertOf('WS-RACE1')).status).toBe('acknowledged');
    // The one refused by the service stays selected, to act on otherwise; the bar says so.
    await page.locator('#bulk-count', { hasText: '1 alert selected' }).waitFor();
    await page.getByRole('button', { name: 'Clear selection' }).click();
    await page.locator('#bulk-bar').waitFor({ state: 'detached' });
  });

  it('resolves alerts at once with a resolution, an outcome and one comment', async () => {
    const bodies: unknown[] = [];
    const onRequest = (r: Request) => {
      if (r.method() === 'POST' && r.url().endsWith('/resolve')) bodies.push(r.postDataJSON());
    };
    page.on('request', onRequest);
    await page.getByRole('checkbox', { name: 'Select Ventricular arrhythmia, WS-RES1' }).check();
    await pick('WS-RES2').check();
    await page.getByLabel('Comment for all selected').fill('Lead noise, checked on the programmer');
    // A resolution is needed first.
    await page.getByRole('button', { name: 'Resolve selected', exact: true }).click();
    await page.locator('#bulk-progress', { hasText: 'Choose how to resolve them first' }).waitFor();
    await page.getByLabel('Resolve as').selectOption('not_actionable');
    // And an outcome, as when resolving one alert.
    await page.getByRole('button', { name: 'Resolve selected', exact: true }).click();
    await page.locator('#bulk-progress', { hasText: 'Choose their outcome first' }).waitFor();
    expect(bodies).toEqual([]);
    await page.getByLabel('Outcome of all selected').selectOption('artefact');
    await page.getByRole('button', { name: 'Resolve selected', exact: true }).click();
    await page.locator('#bulk-report', { hasText: '2 of 2 resolved.' }).waitFor();
    await row('WS-RES1').waitFor({ state: 'detached' });
    await row('WS-RES2').waitFor({ state: 'detached' });
    page.off('request', onRequest);
    expect(bodies).toEqual([
      { resolution: 'not_actionable', outcome: 'artefact', comment: 'Lead noise, checked on the programmer' },
      { resolution: 'not_actionable', outcome: 'artefact', comment: 'Lead noise, checked on the programmer' },
    ]);
    for (const d of ['WS-RES1', 'WS-RES2']) {
      const a = await alertOf(d);
      expect(a).toMatchObject({ status: 'resolved', outcome: 'artefact' });
      const { json } = await apiAs(myCookie, 'GET', `/v1/alerts/${a.id}/history`);
      expect((json.history ?? []).filter((e) => e.type === 'resolved')).toEqual([
        expect.objectContaining({ resolution: 'not_actionable', outcome: 'artefact', comment: 'Lead noise, checked on the programmer' }),
      ]);
    }
  });

  it('selects all shown alerts with one box, and the filters narrow what that is', async () => {
    await page.getByLabel('Device type').selectOption('pacemaker');
    await row('WS-ACK1').waitFor({ state: 'detached' });
    await page.getByLabel('Select all shown alerts').check();
    await page.locator('#bulk-count', { hasText: '1 alert selected' }).waitFor();
    await expect(pick('WS-PACED').isChecked()).resolves.toBe(true);
    await page.getByLabel('Select all shown alerts').uncheck();
    await page.locator('#bulk-bar').waitFor({ state: 'detached' });
    await page.getByLabel('Device type').selectOption('');
  });

  it('filters by HF risk, device type, assignee and site, kept in the address across a reload', async () => {
    // The colleague takes one alert; the page learns their name from the alert.
    const taken = await alertOf('WS-RACE1');
    expect((await apiAs(colleagueCookie, 'POST', `/v1/alerts/${taken.id}/assign`, { assignee: colleague.id })).status).toBe(200);
    await row('WS-RACE1').getByText(`Assigned to ${colleague.email}`).waitFor();

    await page.getByLabel('Assignee').selectOption(colleague.email);
    await row('WS-ACK1').waitFor({ state: 'detached' });
    await row('WS-RACE1').waitFor();
    await page.getByLabel('Assignee').selectOption('none');
    await row('WS-RACE1').waitFor({ state: 'detached' });
    await row('WS-ACK1').waitFor();
    await page.getByLabel('Assignee').selectOption('');

    // Site: this clinician has two.
    await page.getByLabel('Site').selectOption('ward');
    await row('WS-ACK1').waitFor({ state: 'detached' });
    await row('WS-PACED').waitFor();
    await page.getByLabel('Site').selectOption('');

    // HF risk: a VT and a battery only are too little to judge: Insufficient data.
    await page.getByLabel('HF risk').selectOption('insufficient');
    await page.locator(`#queue-rows tr[data-group="${grouped}"]`).first().waitFor();
    await row('WS-ACK1').waitFor({ state: 'detached' });
    await page.getByLabel('HF risk').selectOption('high');
    await page.locator('#queue-counts', { hasText: /^0 alerts/ }).waitFor();
    await page.getByLabel('HF risk').selectOption('');

    // Device type, with the others at once; then a reload keeps them all.
    await page.getByLabel('Device type').selectOption('crt_d');
    await page.getByLabel('HF risk').selectOption('insufficient');
    await page.getByLabel('Assignee').selectOption('none');
    await page.getByLabel('Site').selectOption('mri');
    await page.getByLabel('Priority').selectOption('high');
    // Only the VT passes priority high: the patient's battery is filtered out, so a plain row.
    await row('WS-GROUP').locator('.kind', { hasText: 'Ventricular arrhythmia' }).waitFor();
    await row('WS-PACED').waitFor({ state: 'detached' });
    const search = new URL(page.url()).searchParams;
    expect(Object.fromEntries(search)).toEqual({ priority: 'high', assignee: 'none', risk: 'insufficient', type: 'crt_d', site: 'mri' });
    await page.reload();
    await page.getByRole('heading', { name: 'Alert queue' }).waitFor();
    await row('WS-GROUP').getByText('Ada Groupwell').waitFor();
    expect(Object.fromEntries(new URL(page.url()).searchParams)).toEqual(Object.fromEntries(search));
    await expect(page.getByLabel('Device type').inputValue()).resolves.toBe('crt_d');
    await expect(page.getByLabel('HF risk').inputValue()).resolves.toBe('insufficient');
    await expect(page.getByLabel('Assignee').inputValue()).resolves.toBe('none');
    await expect(page.getByLabel('Site').inputValue()).resolves.toBe('mri');
    expect(await row('WS-GROUP').count()).toBe(1);
    expect(await row('WS-ACK1').count()).toBe(0);
    expect(await row('WS-PACED').count()).toBe(0);

    // An older bookmark's mine=1 still means "assigned to me".
    await page.goto(`${svc.httpUrl}/?mine=1`);
    await page.getByRole('heading', { name: 'Alert queue' }).waitFor();
    await expect(page.getByLabel('Assignee').inputValue()).resolves.toBe('me');
    await expect(page.getByLabel('Assigned to me').isChecked()).resolves.toBe(true);
  });

  it('reported no script errors', () => {
    // The refusals the page handles: 401 before sign-in, and the colleague first (409).
    const expected = /Failed to load resource: the server responded with a status of (401|409)/;
    expect(problems.filter((p) => !expected.test(p))).toEqual([]);
  });
});
