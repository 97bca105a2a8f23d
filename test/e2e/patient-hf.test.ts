import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import type { Browser, Page } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway } from '../helpers/service.ts';
import { TestGateway, type Reading } from '../helpers/gateway.ts';
import { seedUser } from '../helpers/people.ts';
import { createPatient, enrolDevice } from '../../src/patients/service.ts';
import { launchBrowser, listen, openPage, signInThroughForm, type Listening } from './harness.ts';
import { testVault } from '../helpers/keys.ts';

// The patient page of a heart-failure patient in a real browser: 120 nights of a CRT-D, its
// thoracic impedance falling over the last 25 (fluid building up) while night heart rate
// rises and activity falls, a VT treated by ATP and a shock. The HF panel, the other trends
// in their clinical order, the episode list and the transmission view must show it.
// Saves patient-hf.png, episodes.png and transmissions.png (SCREENSHOT_DIR, as screenshots.test.ts).

const OUT = process.env.SCREENSHOT_DIR ? path.resolve(process.env.SCREENSHOT_DIR) : os.tmpdir();
const DAY = 86_400_000;
const SERIAL = 'MDT-HFE2E01';
const NIGHTS = 120;

let tdb: TestDatabase;
let svc: Listening;
let browser: Browser;
let page: Page;
let problems: string[];
let patientRef: string;

/** One night's upload (day 0 is 120 days ago, 02:00 UTC). */
function night(d: number, seq: { n: number }): Reading[] {
  const at = new Date(Math.floor(Date.now() / DAY) * DAY - (NIGHTS - d) * DAY + 2 * 3_600_000).toISOString();
  const r = (metric: string, value: number): Reading => ({ device: SERIAL, seq: ++seq.n, at, metric, value });
  const wobble = Math.sin(d / 3);
  const fall = d >= 95 ? (d - 94) * 0.7 : 0;
  const out = [
    r('thoracic_impedance', 72 + wobble * 0.8 - fall),
    r('night_heart_rate', 64 + wobble + fall / 2),
    r('activity', 240 + wobble * 15 - fall * 4),
    r('hrv_sdaam', 95 + wobble * 3 - fall),
    r('respiratory_rate', 15 + wobble * 0.3 + fall / 8),
    r('crt_pacing_pct', 97 - (d >= 105 ? 8 : 0)),
    r('af_burden', d % 23 === 0 ? 2 : 0),
    r('vt_episodes', d === 100 ? 1 : 0),
    r('vf_episodes', 0),
    r('atp_delivered', d === 100 ? 2 : 0),
    r('shocks_delivered', d === 110 ? 1 : 0),
  ];
  if (d % 7 === 0) out.push(r('rv_lead_impedance', 540 + wobble * 10), r('shock_impedance', 48), r('battery_status', 2), r('battery_longevity', 84 - d / 30));
  // Night 115's upload lacked activity and HRV.
  return d === 115 ? out.filter((x) => x.metric !== 'activity' && x.metric !== 'hrv_sdaam') : out;
}

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  svc = await listen(tdb.db, tdb.url, 0);
  const { key } = await seedGateway(tdb.db, 'mri');
  const site = await tdb.db.selectFrom('sites').select('id').where('code', '=', 'mri').executeTakeFirstOrThrow();
  const vault = await testVault(tdb.db);
  const id = await createPatient(tdb.db, vault, { site: 'mri', familyName: 'Mensah', givenName: 'Ama', dateOfBirth: '1951-06-21', sex: 'female' }, Date.now());
  await enrolDevice(tdb.db, vault, { id, siteId: site.id }, SERIAL, { createDevice: true, deviceType: 'crt_d' });
  patientRef = `p-${id}`;
  // One batch a night: each its own transmission, as a bedside monitor uploads.
  const gw = await TestGateway.open(svc.wsUrl, key);
  const seq = { n: 0 };
  for (let d = 0; d < NIGHTS; d++) {
    const readings = night(d, seq);
    expect((await gw.batch(`n${d}`, readings)).accepted).toBe(readings.length);
  }
  gw.close();
  const clinician = await seedUser(tdb.db, 'clinician', ['mri']);
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1440, height: 1100 }, deviceScaleFactor: 1 });
  ({ page, problems } = await openPage(context));
  await signInThroughForm(page, svc.httpUrl, clinician.email, clinician.password);
  await page.goto(`${svc.httpUrl}/patients/${patientRef}`);
  await page.getByRole('heading', { name: 'Ama Mensah' }).waitFor();
});

afterAll(async () => {
  await browser?.close();
  await svc?.close();
  await tdb?.drop();
});

describe('the heart-failure patient’s page', () => {
  it('shows the HF panel first: risk band, computed fluid index over its threshold, and the HF sensors on one axis', async () => {
    await page.locator('#hf-panel[data-ready=true]').waitFor();
    const panel = await page.locator('#hf-panel figure.chart').evaluateAll((els) => els.map((e) => e.getAttribute('data-metric')));
    expect(panel).toEqual(['hf_risk', 'fluid_index_engine', 'thoracic_impedance', 'night_heart_rate', 'activity', 'hrv_sdaam', 'respiratory_rate', 'crt_pacing_pct', 'af_burden']);
    // Before every other trend chart on the page.
    const order = await page.locator('figure.chart').evaluateAll((els) => els.map((e) => e.getAttribute('data-metric')));
    expect(order.slice(0, panel.length)).toEqual(panel);

    // The fluid index the engine computes crosses 60 Ohm·days as impedance falls.
    const fluid = await page.locator('figure[data-metric=fluid_index_engine] .chart-desc').textContent();
    expect(fluid).toMatch(/threshold 60 Ω·d, reached on \d+ days?/);
    const top = Number(/highest ([\d.]+) Ω·d/.exec(fluid!)![1]);
    expect(top).toBeGreaterThanOrEqual(60);
    // The band says the risk statuses the engine stored, in words.
    const stored = await sql<{ status: string }>`SELECT status FROM risk_changes ORDER BY at, seq`.execute(tdb.db);
    const band = await page.locator('figure[data-metric=hf_risk] .chart-desc').textContent();
    expect(stored.rows.map((r) => r.status)).toContain('High');
    expect(band).toMatch(/^Risk status: .*High \d+ \w+ \d{4} – /);
    // CRT pacing under 90 % and the night heart rate: criteria named.
    await expect(page.locator('figure[data-metric=crt_pacing_pct] .chart-desc').textContent()).resolves.toContain('criterion below 90 %');

    // One cursor for the stack: pointing at the fluid index reads out impedance and its reference too.
    const plot = page.locator('figure[data-metric=fluid_index_engine] .u-over');
    const box = (await plot.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.9, box.y + box.height / 2);
    await expect(page.locator('figure[data-metric=fluid_index_engine] .chart-readout').textContent()).resolves.toMatch(/^ [\d.]+ Ω·d · /);
    await expect(page.locator('figure[data-metric=thoracic_impedance] .chart-readout').textContent()).resolves.toMatch(/^ [\d.]+ Ω · .* · reference [\d.]+ Ω$/);
    await page.screenshot({ path: path.join(OUT, 'patient-hf.png'), fullPage: false });
  });

  it('orders the other trends leads first, then battery, then arrhythmia counts, with a band for the leads', async () => {
    await page.locator('#charts[data-ready=true]').waitFor();
    const others = await page.locator('#charts figure.chart').evaluateAll((els) => els.map((e) => e.getAttribute('data-metric')));
    expect(others).toEqual(['rv_lead_impedance', 'shock_impedance', 'battery_status', 'battery_longevity', 'vt_episodes', 'atp_delivered', 'shocks_delivered']);
    await expect(page.locator('#charts .flat-counts').textContent()).resolves.toBe('None in this period: VF episodes.');
    await expect(page.locator('figure[data-metric=shock_impedance] .chart-desc').textContent()).resolves.toMatch(/limits 20–200 Ω\.$/);
    await expect(page.locator('figure[data-metric=battery_status] .chart-desc').textContent()).resolves.toMatch(/latest middle of service on /);
    await page.getByRole('columnheader', { name: 'First seen (service time)' }).waitFor();
  });

  it('lists the shock, the VT and its ATP, newest first', async () => {
    await page.locator('#episode-list[data-ready=true]').waitFor();
    const rows = await page.locator('#episode-list tbody tr').allTextContents();
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/Shock.*1 shock.*Counter in a transmission/);
    expect(rows.slice(1).join('\n')).toMatch(/Ventricular tachycardia.*1 episode/);
    expect(rows.slice(1).join('\n')).toMatch(/Anti-tachycardia pacing \(ATP\).*2 therapies/);
    await page.locator('#episode-list').screenshot({ path: path.join(OUT, 'episodes.png') });
  });

  it('lists each transmission with its gateway, and names what the short one lacked', async () => {
    await page.locator('#transmissions[data-ready=true]').waitFor();
    const rows = page.locator('#transmissions tbody tr');
    await expect(rows.count()).resolves.toBe(50);
    const first = await rows.first().locator('td').allTextContents();
    expect(first[2]).toBe(SERIAL);
    expect(first[3]).toBe('test gateway');
    // Night 119 is a weekly one: leads and battery too.
    expect(first[4]).toBe('15');
    expect(first[6]).toBe('Nothing');
    const short = page.locator('#transmissions tbody tr.short');
    await expect(short.count()).resolves.toBe(1);
    await expect(short.locator('td').last().textContent()).resolves.toBe('Activity, Heart rate variability (SDAAM)');
    await short.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(OUT, 'transmissions.png'), fullPage: false });
    await page.getByRole('button', { name: 'Older transmissions' }).click();
    await expect.poll(() => rows.count()).toBe(100);
  });

  it('reported no script errors', () => {
    // The page's session check before sign-in answers 401: expected.
    expect(problems.filter((p) => !/status of 401/.test(p))).toEqual([]);
  });
});
