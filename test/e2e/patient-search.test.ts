import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway } from '../helpers/service.ts';
import { seedUser } from '../helpers/people.ts';
import { testVault } from '../helpers/keys.ts';
import { createPatient, enrolDevice } from '../../src/patients/service.ts';
import { launchBrowser, listen, openPage, signInThroughForm, type Listening } from './harness.ts';

// The patients page over 250 patients: the service pages and searches, the page shows 50 at
// a time with Next and Previous, and the search (kept in the address) finds one patient by
// name, NHS number and device serial. Another site's patient is never listed.

const GIVEN = ['Ada', 'Ben', 'Cleo', 'Dev', 'Esme', 'Finn', 'Gita', 'Hugo', 'Iris', 'Jude'];
const FAMILY = ['Abbott', 'Baker', 'Carter', 'Dalton', 'Ellis', 'Fisher', 'Gray', 'Hayes', 'Irwin', 'Jensen', 'Kerr', 'Lowe', 'Moss',
  'Nash', 'Orr', 'Pike', 'Quinn', 'Reid', 'Shaw', 'Todd', 'Usher', 'Vance', 'Webb', 'Yates', 'Zane'];
const TOTAL = 250;

let tdb: TestDatabase;
let svc: Listening;
let browser: Browser;
let page: Page;
let problems: string[];
/** Every request the page made for the patient list. */
const listRequests: string[] = [];

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  await seedGateway(tdb.db, 'mri');
  await seedGateway(tdb.db, 'leeds');
  const vault = await testVault(tdb.db);
  const site = (await tdb.db.selectFrom('sites').select('id').where('code', '=', 'mri').executeTakeFirstOrThrow()).id;
  for (let i = 0; i < TOTAL; i++) {
    // One patient with a name to find, an NHS number and a device.
    const [givenName, familyName] = i === 137 ? ['Zoë', 'Okafor-Byrne'] : [GIVEN[i % 10]!, FAMILY[Math.floor(i / 10)]!];
    const id = await createPatient(tdb.db, vault, { site: 'mri', familyName, givenName, nhsNumber: i === 137 ? '9434765919' : null, dateOfBirth: '1950-06-01' }, Date.now());
    if (i === 137) await enrolDevice(tdb.db, vault, { id, siteId: site }, 'MDT-PZC600368S', { createDevice: true, deviceType: 'icd' });
  }
  // A namesake at another site, never shown to this clinician.
  await createPatient(tdb.db, vault, { site: 'leeds', familyName: 'Okafor-Byrne', givenName: 'Zoë', dateOfBirth: '1961-02-02' }, Date.now());
  svc = await listen(tdb.db, tdb.url, 0);
  const clinician = await seedUser(tdb.db, 'clinician', ['mri']);
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  ({ page, problems } = await openPage(context));
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (url.pathname === '/v1/patients') listRequests.push(url.search);
  });
  await signInThroughForm(page, svc.httpUrl, clinician.email, clinician.password);
  // The signed-out page's session check (401) is before what this file tests.
  problems.length = 0;
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await svc?.close();
  await tdb?.drop();
});

const rows = () => page.locator('table.patients tbody tr');
const names = () => page.locator('table.patients tbody tr td:first-child').allTextContents();

/** The status line once it has settled on `text`. */
async function statusIs(text: string | RegExp): Promise<void> {
  const re = typeof text === 'string' ? new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : text;
  await page.locator('.page-head [role=status]').filter({ hasText: re }).waitFor();
}

describe('the patients page', () => {
  it('pages through 250 patients 50 at a time, each once, without loading them all', async () => {
    await page.getByRole('link', { name: 'Patients' }).first().click();
    await page.getByRole('heading', { name: 'Patients' }).waitFor();
    await statusIs('50 patients, more on the next page');
    const seen: string[] = [];
    seen.push(...(await names()));
    for (let p = 2; p <= 5; p++) {
      await page.getByRole('button', { name: 'Next' }).click();
      await statusIs(p < 5 ? `50 patients on page ${p}, more on the next page` : '50 patients on page 5, the last page');
      expect(await rows().count()).toBe(50);
      seen.push(...(await names()));
    }
    // Exactly 250 left in five pages: no empty sixth page to go to.
    expect(await page.getByRole('button', { name: 'Next' }).isDisabled()).toBe(true);
    expect(seen).toHaveLength(TOTAL);
    expect(new Set(seen).size).toBe(TOTAL);
    expect(seen.filter((n) => n === 'Zoë Okafor-Byrne')).toHaveLength(1);
    await page.getByRole('button', { name: 'Previous' }).click();
    await statusIs('50 patients on page 4, more on the next page');
    // One request a page shown, never a walk over every page.
    expect(listRequests.filter((s) => s.includes('limit=50'))).toHaveLength(6);
    expect(listRequests.every((s) => !s.includes('limit=1000') || !s.includes('after='))).toBe(true);
  });

  it('finds one patient by name, NHS number and device serial, and keeps the search over a reload', async () => {
    const box = page.getByLabel('Find by name, NHS number or device');
    for (const q of ['zoe okafor', 'Okafor-Byrne', '943 476 5919', 'MDT-PZC6']) {
      await box.fill(q);
      await box.press('Enter');
      await statusIs(`1 patient matching “${q}”`);
      expect(await names()).toEqual(['Zoë Okafor-Byrne']);
      expect(new URL(page.url()).searchParams.get('q')).toBe(q);
    }
    // After a pause, without Enter.
    await box.fill('Ada');
    await statusIs('25 patients matching “Ada”');
    await page.reload();
    await statusIs('25 patients matching “Ada”');
    expect(await page.getByLabel('Find by name, NHS number or device').inputValue()).toBe('Ada');
    // A prefix is not a name word; a refused search says why.
    await box.fill('Okaf');
    await box.press('Enter');
    await statusIs('No patients match “Okaf”.');
    await box.fill('943 476');
    await box.press('Enter');
    await statusIs(/^Cannot search for that: an NHS number has 10 digits/);
    await box.fill('');
    await box.press('Enter');
    await statusIs('50 patients, more on the next page');
    expect(new URL(page.url()).search).toBe('');
  });

  it('opens the patient found', async () => {
    const box = page.getByLabel('Find by name, NHS number or device');
    await box.fill('zoe');
    await box.press('Enter');
    await statusIs('1 patient matching “zoe”');
    await page.getByRole('link', { name: 'Zoë Okafor-Byrne' }).click();
    await page.getByRole('heading', { name: 'Zoë Okafor-Byrne' }).waitFor();
    expect(problems.filter((p) => !/status of 400/.test(p))).toEqual([]);
  });
});
