import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import type { Browser, Page } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway } from '../helpers/service.ts';
import { TestGateway } from '../helpers/gateway.ts';
import { seedUser } from '../helpers/people.ts';
import { createPatient, enrolDevice } from '../../src/patients/service.ts';
import { launchBrowser, listen, openPage, signInThroughForm, vtReading, type Listening } from './harness.ts';
import { testVault } from '../helpers/keys.ts';

// Contact notes on the patient page, and the worklists page, in a real browser: a note added
// is listed again after a reload (as text, never markup); the worklists list a device gone
// quiet and the open alerts by assignee, patients linked to their pages.

const DAY = 86_400_000;
const NOTE = '<b>Seen in clinic</b>: ankles less swollen, "diuretic" dose kept';
let tdb: TestDatabase;
let svc: Listening;
let browser: Browser;
let page: Page;
let problems: string[];
let quietRef: string;
let clinicianName: string;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  svc = await listen(tdb.db, tdb.url, 0, { ENGINE_CONNECTIVITY_CHECK_MS: '3600000' });
  const { key } = await seedGateway(tdb.db, 'nw');
  const site = await tdb.db.selectFrom('sites').select('id').where('code', '=', 'nw').executeTakeFirstOrThrow();
  const vault = await testVault(tdb.db);
  const quiet = await createPatient(tdb.db, vault, { site: 'nw', familyName: 'Morgan', givenName: 'Rhys', dateOfBirth: '1946-04-01', sex: 'male' }, Date.now());
  await enrolDevice(tdb.db, vault, { id: quiet, siteId: site.id }, 'NW-QUIET-1', { createDevice: true, deviceType: 'icd' });
  quietRef = `p-${quiet}`;
  const busy = await createPatient(tdb.db, vault, { site: 'nw', familyName: 'Price', givenName: 'Bethan', dateOfBirth: '1952-09-09', sex: 'female' }, Date.now());
  await enrolDevice(tdb.db, vault, { id: busy, siteId: site.id }, 'NW-BUSY-2', { createDevice: true, deviceType: 'pacemaker' });
  const gw = await TestGateway.open(svc.wsUrl, key);
  await gw.batch('q', [vtReading('NW-QUIET-1', new Date(Date.now() - 5 * DAY))]);
  await gw.batch('b', [vtReading('NW-BUSY-2', new Date(Date.now() - DAY))]);
  gw.close();
  // NW-QUIET-1 last transmitted four days ago: past its 48 h.
  await sql`UPDATE readings SET received_at = now() - interval '96 hours' WHERE device_id = (SELECT id FROM devices WHERE serial = 'NW-QUIET-1')`.execute(tdb.db);
  const clinician = await seedUser(tdb.db, 'clinician', ['nw']);
  clinicianName = clinician.name;
  await sql`UPDATE alerts SET assignee_id = ${clinician.id} WHERE device_id = (SELECT id FROM devices WHERE serial = 'NW-BUSY-2')`.execute(tdb.db);
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
  ({ page, problems } = await openPage(context));
  await signInThroughForm(page, svc.httpUrl, clinician.email, clinician.password);
  // The session check before signing in answers 401: not a problem of the pages under test.
  problems.length = 0;
});

afterAll(async () => {
  await browser?.close();
  await svc?.close();
  await tdb?.drop();
});

describe('contact notes on the patient page', () => {
  it('adds a note and lists it again after a reload, as text', async () => {
    await page.goto(`${svc.httpUrl}/patients/${quietRef}`);
    await page.getByRole('heading', { name: 'Rhys Morgan' }).waitFor();
    await page.getByRole('heading', { name: 'Contact notes' }).waitFor();
    await page.getByText('No contact noted yet.').waitFor();
    await page.getByText('Note a contact').click();
    await page.getByLabel('Contact', { exact: true }).selectOption('clinic_visit');
    await page.getByLabel('Note', { exact: true }).fill(NOTE);
    await page.getByRole('button', { name: 'Add note' }).click();
    await page.getByRole('status').filter({ hasText: 'Clinic visit noted.' }).waitFor();
    await page.locator('#notes-list li', { hasText: 'Seen in clinic' }).waitFor();

    await page.reload();
    const item = page.locator('#notes-list li', { hasText: 'ankles less swollen' });
    await item.waitFor();
    expect(await item.locator('.note-text').textContent()).toBe(NOTE);
    await expect(item.textContent()).resolves.toContain('Clinic visit');
    await expect(item.textContent()).resolves.toContain(clinicianName);
    // The markup in the note stayed text.
    expect(await page.locator('#notes-list b').count()).toBe(0);
  });

  it('refuses an empty note in the page, without a request', async () => {
    await page.getByText('Note a contact').click();
    await page.getByLabel('Note', { exact: true }).fill('   ');
    await page.getByRole('button', { name: 'Add note' }).click();
    await page.getByRole('status').filter({ hasText: 'Write what the contact was about.' }).waitFor();
    expect(await page.locator('#notes-list li').count()).toBe(1);
  });
});

describe('the worklists page', () => {
  it('lists the overdue device and the open alerts by assignee, patients linked', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Worklists' }).click();
    await page.getByRole('heading', { name: 'Worklists', level: 1 }).waitFor();
    const overdue = page.locator('#overdue-table tbody tr', { hasText: 'NW-QUIET-1' });
    await overdue.waitFor();
    await expect(overdue.textContent()).resolves.toMatch(/ICD/);
    await expect(page.locator('#overdue-table tbody tr').count()).resolves.toBe(1);
    await expect(overdue.locator('.overdue-by').textContent()).resolves.toMatch(/^2 d/);

    const unassigned = page.locator('section.worklist-group', { has: page.getByRole('heading', { name: 'Unassigned' }) });
    await unassigned.locator('tr', { hasText: 'NW-QUIET-1' }).waitFor();
    await expect(unassigned.locator('.counts').textContent()).resolves.toBe('1 high · 0 medium · 0 low');
    const mine = page.locator('section.worklist-group', { has: page.getByRole('heading', { name: clinicianName }) });
    await mine.locator('tr', { hasText: 'NW-BUSY-2' }).getByRole('link', { name: 'Bethan Price' }).waitFor();

    await overdue.getByRole('link', { name: 'Rhys Morgan' }).click();
    await page.getByRole('heading', { name: 'Rhys Morgan' }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/patients/${quietRef}`);
  });

  it('logged no error in the browser', () => {
    expect(problems).toEqual([]);
  });
});
