import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway } from '../helpers/service.ts';
import { seedUser } from '../helpers/people.ts';
import { createPatient, enrolDevice } from '../../src/patients/service.ts';
import { launchBrowser, listen, openPage, signInThroughForm, type Listening } from './harness.ts';
import { testVault } from '../helpers/keys.ts';

// The queue with 2,000 open alerts: 300 patients with three alerts each (grouped) and
// 1,100 alerts of devices enrolled to no one. Prints how long the page took from navigation
// to the queue drawn (a mark the page sets), and how long a filter change takes to draw
// again; asserts only that the page shows them all and stays usable.

const PATIENTS = 300;
const PER_PATIENT = 3;
const LOOSE = 1100;
const TOTAL = PATIENTS * PER_PATIENT + LOOSE;
const KINDS = ['ventricular_arrhythmia', 'battery', 'af_burden'] as const;

let tdb: TestDatabase;
let svc: Listening;
let browser: Browser;
let page: Page;
let problems: string[];

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  svc = await listen(tdb.db, tdb.url, 0);
  await seedGateway(tdb.db, 'mri');
  const site = await tdb.db.selectFrom('sites').select('id').where('code', '=', 'mri').executeTakeFirstOrThrow();
  const vault = await testVault(tdb.db);
  // Patients through the service (their identities sealed as in production), eight at a time.
  for (let i = 0; i < PATIENTS; i += 8) {
    await Promise.all(Array.from({ length: Math.min(8, PATIENTS - i) }, async (_, j) => {
      const n = i + j;
      const id = await createPatient(tdb.db, vault, { site: 'mri', familyName: `Load${n}`, givenName: 'Pat', dateOfBirth: '1950-01-01' }, Date.now());
      await enrolDevice(tdb.db, vault, { id, siteId: site.id }, `LD-P${n}`, { createDevice: true, deviceType: n % 2 ? 'icd' : 'crt_d' });
    }));
  }
  // The devices enrolled to no one, then every alert, each in one statement.
  await sql`INSERT INTO devices (serial, site_id) SELECT 'LD-U' || g, ${site.id}::int4 FROM generate_series(1, ${LOOSE}::int4) g`.execute(tdb.db);
  await sql`
    INSERT INTO alerts (device_id, site_id, kind, priority, opened_at, last_seen_at, raised_at, trigger, score, summary, evidence)
    SELECT d.id, d.site_id, k.kind, k.priority, now() - g * interval '1 minute', now() - g * interval '1 minute', now() - g * interval '1 minute',
      jsonb_build_object('seq', 1, 'metric', k.metric, 'value', 1, 'at', now()), 0.9, 'Seeded for the load test', '{}'::jsonb
    FROM (SELECT id, site_id, row_number() OVER (ORDER BY id) AS g FROM devices WHERE serial LIKE 'LD-%') d
    JOIN (VALUES ('ventricular_arrhythmia', 'high', 'vt_episodes', 0), ('battery', 'medium', 'battery_status', 1), ('af_burden', 'low', 'af_burden', 2))
      AS k(kind, priority, metric, n) ON k.n < ${PER_PATIENT}::int4
    WHERE d.id IN (SELECT device_id FROM enrolments) OR k.n = ((d.g % ${KINDS.length}::int4))`.execute(tdb.db);
  const count = await tdb.db.selectFrom('alerts').select((eb) => eb.fn.countAll<string>().as('n')).where('status', '=', 'open').executeTakeFirstOrThrow();
  expect(Number(count.n)).toBe(TOTAL);

  const clinician = await seedUser(tdb.db, 'clinician', ['mri']);
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  ({ page, problems } = await openPage(context));
  await signInThroughForm(page, svc.httpUrl, clinician.email, clinician.password);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await svc?.close();
  await tdb?.drop();
});

describe('the queue with 2,000 open alerts', () => {
  it('draws them grouped by patient and says how long that took', async () => {
    // A fresh navigation, signed in: from the request for the page to the queue drawn.
    await page.goto(`${svc.httpUrl}/`);
    await page.locator('#queue-counts', { hasText: `${TOTAL} alerts:` }).waitFor();
    await page.locator('#queue-rows[data-complete=true]').waitFor();
    const marks = await page.evaluate(() => {
      const perf = (globalThis as unknown as { performance: { getEntriesByName(n: string): Array<{ startTime: number; detail: unknown }> } }).performance;
      const read = (name: string) => {
        const e = perf.getEntriesByName(name)[0];
        return e ? { ms: e.startTime, detail: e.detail as { alerts: number; rows: number } } : null;
      };
      return { first: read('queue-rendered'), all: read('queue-rendered-all') };
    });
    const mark = marks.first;
    expect(mark).not.toBeNull();
    expect(marks.all).not.toBeNull();
    console.log(`queue with ${mark!.detail.alerts} alerts: first ${mark!.detail.rows} rows drawn ${Math.round(mark!.ms)} ms after navigation, `
      + `all ${marks.all!.detail.rows} rows ${Math.round(marks.all!.ms)} ms after it`);
    expect(mark!.detail.alerts).toBe(TOTAL);
    // Grouped: a patient's three alerts are one row until opened.
    await page.locator('#queue-rows tr.group-head', { hasText: 'Pat Load' }).first().waitFor();
    await expect(page.locator('#queue-rows tr.group-head').first().locator('.group-toggle').textContent()).resolves.toBe('2 more alerts');
  });

  it('stays usable: a filter change draws the list again, and a row opens its alert', async () => {
    const ms = await page.evaluate(async () => {
      type El = { value: string; dataset: Record<string, string>; dispatchEvent(e: unknown): void };
      const g = globalThis as unknown as {
        performance: { now(): number }; document: { getElementById(id: string): El }; Event: new (t: string) => unknown; setTimeout(f: () => void, ms: number): void;
      };
      const select = g.document.getElementById('f-priority');
      const rows = g.document.getElementById('queue-rows');
      const t0 = g.performance.now();
      select.value = 'high';
      // The page draws the first rows in the change handler itself, the rest in the next turns.
      select.dispatchEvent(new g.Event('change'));
      const first = g.performance.now() - t0;
      while (rows.dataset.complete !== 'true') await new Promise<void>((r) => g.setTimeout(r, 5));
      return { first, all: g.performance.now() - t0 };
    });
    console.log(`filter change to High: first rows drawn in ${Math.round(ms.first)} ms, all in ${Math.round(ms.all)} ms`);
    await page.locator('#queue-counts', { hasText: /^\d+ alerts: \d+ high, 0 medium, 0 low/ }).waitFor();
    expect(await page.locator('#queue-rows tr.prio-medium').count()).toBe(0);
    // With only the high ones, every patient is one plain row again (one VT each).
    expect(await page.locator('#queue-rows tr.group-head').count()).toBe(0);
    await page.locator('#queue-rows tr').first().locator('td.c-prio').click();
    await page.locator('#detail h2', { hasText: 'Ventricular arrhythmia' }).waitFor();
    await page.getByLabel('Priority').selectOption('');
    await page.locator('#queue-counts', { hasText: `${TOTAL} alerts:` }).waitFor();
  });

  it('reported no script errors', () => {
    expect(problems.filter((p) => !/status of 401/.test(p))).toEqual([]);
  });
});
