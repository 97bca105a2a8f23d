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

// The patient page in a real browser: from the queue to the patient, devices and risk,
// a uPlot chart per metric with the alert marked, the period switch, and alert history.
// Saves patient.png beside the queue's screenshot (SCREENSHOT_DIR, as screenshots.test.ts).

const OUT = process.env.SCREENSHOT_DIR ? path.resolve(process.env.SCREENSHOT_DIR) : os.tmpdir();
const DAY = 86_400_000;
const SERIAL = 'MDT-PZC600368S';

let tdb: TestDatabase;
let svc: Listening;
let browser: Browser;
let page: Page;
let problems: string[];
let patientRef: string;
let pacedRef: string;
let gatewayKey: string;

/** 80 days of daily trends, ending yesterday, with a ventricular episode 12 days ago. */
function history(): Reading[] {
  const out: Reading[] = [];
  let seq = 0;
  const start = Date.now() - 80 * DAY;
  for (let d = 0; d < 80; d++) {
    const at = new Date(start + d * DAY).toISOString();
    const wobble = Math.sin(d / 3);
    const fall = d > 62 ? (d - 62) * 0.9 : 0;
    out.push(
      { device: SERIAL, seq: ++seq, at, metric: 'thoracic_impedance', value: 71 + wobble * 1.5 - fall },
      { device: SERIAL, seq: ++seq, at, metric: 'night_heart_rate', value: 62 + wobble * 2 + fall / 3 },
      { device: SERIAL, seq: ++seq, at, metric: 'activity', value: 260 + wobble * 30 - fall * 4 },
      { device: SERIAL, seq: ++seq, at, metric: 'af_burden', value: d % 17 === 0 ? 1.5 : 0 },
      { device: SERIAL, seq: ++seq, at, metric: 'rv_lead_impedance', value: 540 + wobble * 10 },
      { device: SERIAL, seq: ++seq, at, metric: 'shocks_delivered', value: 0 },
    );
    if (d === 68) out.push({ device: SERIAL, seq: ++seq, at, metric: 'vt_episodes', value: 1 });
  }
  return out;
}

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  svc = await listen(tdb.db, tdb.url, 0);
  const { key } = await seedGateway(tdb.db, 'mri');
  gatewayKey = key;
  const site = await tdb.db.selectFrom('sites').select('id').where('code', '=', 'mri').executeTakeFirstOrThrow();
  const id = await createPatient(tdb.db, await testVault(tdb.db), { site: 'mri', familyName: 'Okafor', givenName: 'Grace', nhsNumber: '9434765919', dateOfBirth: '1948-03-12', sex: 'female' }, Date.now());
  await enrolDevice(tdb.db, await testVault(tdb.db), { id, siteId: site.id }, SERIAL, { createDevice: true, deviceType: 'icd' });
  patientRef = `p-${id}`;
  // A second patient, paced: heart rate and activity only, too little to judge heart failure by.
  const paced = await createPatient(tdb.db, await testVault(tdb.db), { site: 'mri', familyName: 'Byrne', givenName: 'Tom', dateOfBirth: '1941-07-30', sex: 'male' }, Date.now());
  await enrolDevice(tdb.db, await testVault(tdb.db), { id: paced, siteId: site.id }, 'PM-E2E-1', { createDevice: true, deviceType: 'pacemaker' });
  pacedRef = `p-${paced}`;
  const gw = await TestGateway.open(svc.wsUrl, key);
  const readings = history();
  expect((await gw.batch('h', readings)).accepted).toBe(readings.length);
  // Steady: a worsening heart rate and activity would read Medium even without impedance.
  const pacedReadings = Array.from({ length: 30 }, (_, d): Reading[] => {
    const at = new Date(Date.now() - (30 - d) * DAY).toISOString();
    return [
      { device: 'PM-E2E-1', seq: d * 2, at, metric: 'night_heart_rate', value: 64 + Math.sin(d / 3) },
      { device: 'PM-E2E-1', seq: d * 2 + 1, at, metric: 'activity', value: 240 + Math.sin(d / 3) * 20 },
    ];
  }).flat()
    // Four nights missing: a gap past the 48 h limit, in history uploaded at once.
    .filter((r) => { const d = Math.floor(r.seq / 2); return d < 10 || d > 13; });
  expect((await gw.batch('p', pacedReadings)).accepted).toBe(pacedReadings.length);
  gw.close();
  const clinician = await seedUser(tdb.db, 'clinician', ['mri']);
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1440, height: 1100 }, deviceScaleFactor: 1 });
  ({ page, problems } = await openPage(context));
  await signInThroughForm(page, svc.httpUrl, clinician.email, clinician.password);
});

afterAll(async () => {
  await browser?.close();
  await svc?.close();
  await tdb?.drop();
});

describe('the patient page', () => {
  it('opens from the queue and shows identity, device and risk', async () => {
    const row = page.locator('#queue-rows tr', { hasText: 'Ventricular arrhythmia' });
    // The queue names the patient (alerts carry only the id) and links to the page.
    await row.getByRole('link', { name: 'Grace Okafor' }).click();
    await page.getByRole('heading', { name: 'Grace Okafor' }).waitFor();
    await page.getByText('NHS number 943 476 5919').waitFor();
    await page.locator('table.devices td', { hasText: SERIAL }).waitFor();
    await page.getByRole('heading', { name: 'Heart-failure risk' }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/patients/${patientRef}`);
  });

  it('draws a chart per metric with the alert marked, for the chosen period', async () => {
    await page.locator('#charts[data-ready=true]').waitFor();
    await page.locator('#hf-panel[data-ready=true]').waitFor();
    // The heart-failure metrics in their panel, the others in the trends after it.
    const metrics = await page.locator('#hf-panel figure.chart, #charts figure.chart').evaluateAll((els) => els.map((e) => e.getAttribute('data-metric')));
    expect(metrics).toEqual(expect.arrayContaining(['vt_episodes', 'thoracic_impedance', 'night_heart_rate', 'activity', 'af_burden', 'rv_lead_impedance']));
    expect(await page.locator('#hf-panel figure.chart canvas, #charts figure.chart canvas').count()).toBeGreaterThanOrEqual(metrics.length);
    await page.locator('.marker-key li', { hasText: 'Ventricular arrhythmia' }).waitFor();
    const caption = await page.locator('figure[data-metric=thoracic_impedance] .chart-desc').textContent();
    expect(caption).toMatch(/^80 readings from /);
    // No shock all period: named in one line, not drawn as a flat chart.
    expect(metrics).not.toContain('shocks_delivered');
    await expect(page.locator('#charts .flat-counts').textContent()).resolves.toMatch(/^None in this period: .*Shocks/);
    // Hard limits in the caption (and drawn when in range).
    await expect(page.locator('figure[data-metric=rv_lead_impedance] .chart-desc').textContent()).resolves.toMatch(/limits 200–2000 Ω\.$/);
    // The reading under the pointer, in words.
    const plot = page.locator('figure[data-metric=thoracic_impedance] .u-over');
    const box = (await plot.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
    await expect(page.locator('figure[data-metric=thoracic_impedance] .chart-readout').textContent()).resolves.toMatch(/^ \d+(\.\d+)? Ω · /);
    await page.screenshot({ path: path.join(OUT, 'patient.png'), fullPage: false });

    await page.getByLabel('Last 30 days').check();
    await page.locator('#charts[data-ready=true]').waitFor();
    await page.locator('#hf-panel[data-ready=true]').waitFor();
    await expect(page.locator('figure[data-metric=thoracic_impedance] .chart-desc').textContent()).resolves.toMatch(/^(29|30|31) readings from /);
    expect(new URL(page.url()).search).toBe('?days=30');
  });

  it('lists the patient’s alerts with their history', async () => {
    const alertRow = page.locator('table.patient-alerts tr', { hasText: 'Ventricular arrhythmia' });
    await alertRow.getByRole('button', { name: /History of Ventricular arrhythmia/ }).click();
    await page.locator('table.patient-alerts .history li', { hasText: 'Opened' }).waitFor();
  });

  it('warns, in words, when a device clinic message named someone else for one of her devices', async () => {
    expect(await page.getByRole('alert').filter({ hasText: 'Check the enrolment' }).count()).toBe(0);
    await sql`
      INSERT INTO identity_mismatches (device_id, patient_id, source, messages)
      SELECT d.id, ${Number(patientRef.slice(2))}, 'idco', 3 FROM devices d WHERE d.serial = ${SERIAL}`.execute(tdb.db);
    await page.reload();
    const warning = page.getByRole('alert').filter({ hasText: `Check the enrolment of device ${SERIAL}` });
    await warning.waitFor();
    await expect(warning.textContent()).resolves.toContain('3 device clinic messages for it gave another birth date');
  });

  it('shows the settings, lead status and episodes a device clinic message reported', async () => {
    const at = new Date(Date.now() - 2 * DAY).toISOString().replace(/[-:T]/g, '').slice(0, 14);
    const hl7 = [
      `MSH|^~\\&|CARELINK^MDT|MDT|CARDIOTEL|CLINIC|${at}||ORU^R01^ORU_R01|E2E-1|P|2.5`,
      'PID|||model:D284VRC/serial:PZC600368S^^^MDT^U',
      `OBR|1||1|Remote Follow-up|||${at}`,
      `OBX|1|DTM|721025^MDC_IDC_SESS_DTM^MDC|1|${at}||||||F`,
      'OBX|2|CWE|739568^MDC_IDC_EPISODE_TYPE^MDC|1|Epis_VT^VT||||||F',
      'OBX|3|NM|739712^MDC_IDC_EPISODE_DURATION^MDC|1|42|s|||||F',
      'OBX|4|TX|739680^MDC_IDC_EPISODE_DETECTION_THERAPY_DETAILS^MDC|1|3 ATP, terminated||||||F',
      'OBX|5|NM|729985^MDC_IDC_SET_LEADCHNL_RV_PACING_AMPLITUDE^MDC|1|3.50|V|||||F',
      'OBX|6|CWE|722752^MDC_IDC_MSMT_LEADHVCHNL_STATUS^MDC|1|Check Lead^Check Lead||||||F',
    ].join('\r');
    const res = await fetch(`${svc.httpUrl}/v1/idco`, { method: 'POST', headers: { 'content-type': 'application/hl7-v2', authorization: `Bearer ${gatewayKey}` }, body: hl7 });
    expect(await res.text()).toContain('MSA|AA|E2E-1|accepted 1,');
    await page.goto(`${svc.httpUrl}/patients/${patientRef}`);
    const device = page.locator('table.devices tr', { hasText: SERIAL });
    await device.getByText('RV pacing amplitude: 3.50 V').waitFor();
    await device.getByText('Shock lead status: Check Lead').waitFor();
    // In the episode list, beside the counts the message's readings carried.
    const episode = page.locator('#episode-list tbody tr', { hasText: 'Device clinic message (IDCO)' }).first();
    await expect(episode.textContent()).resolves.toMatch(/Ventricular tachycardia.*42 s.*3 ATP, terminated/);
  });

  it('states a known condition from the page, lists it with its expiry, and ends it', async () => {
    await page.goto(`${svc.httpUrl}/patients/${patientRef}`);
    await page.getByRole('heading', { name: 'Known conditions' }).waitFor();
    await page.getByText('None: every alert opens.').waitFor();
    await page.getByText('State a known condition').click();
    await page.getByLabel('Alert kind').selectOption('af_burden');
    await page.getByLabel('Reason').fill('Permanent AF, rate controlled');
    await page.getByRole('button', { name: 'State known condition' }).click();
    const item = page.locator('.condition-list li', { hasText: 'Permanent AF, rate controlled' });
    await item.getByText(/Alerts go to a weekly digest until/).waitFor();
    await page.getByRole('status').filter({ hasText: 'now go to a weekly digest' }).waitFor();
    await item.getByRole('button', { name: /End the known condition/ }).click();
    await item.getByText(/^Ended /).waitFor();
  });

  it('records a generator change from the page and lists it with the old generator’s explant', async () => {
    await page.goto(`${svc.httpUrl}/patients/${patientRef}`);
    await page.getByRole('heading', { name: 'Device history' }).waitFor();
    await page.getByText('Nothing recorded: the engine learns each device from its first reading.').waitFor();
    await page.getByText('Record an implant, generator change, lead revision…').click();
    await page.getByLabel('Event').selectOption('generator_change');
    await page.getByLabel('When').fill(new Date(Date.now() - DAY - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 16));
    await page.getByLabel('New generator (serial)').fill('MDT-PZC700001S');
    await page.getByLabel('Generator replaced (serial)').fill(SERIAL);
    await page.getByRole('button', { name: 'Record event' }).click();
    await page.getByRole('status').filter({ hasText: 'Generator change recorded' }).waitFor();
    const items = page.locator('.event-list li');
    await expect(items.allTextContents()).resolves.toEqual([
      expect.stringMatching(new RegExp(`Explant of ${SERIAL}.*with the generator change`)),
      expect.stringMatching(new RegExp(`Generator change of MDT-PZC700001S · replacing ${SERIAL}.*recorded by`)),
    ]);
    // A refusal reads as one, and records nothing. (The browser logs its 400: expected here only.)
    const logged = problems.length;
    await page.getByLabel('Event').selectOption('lead_revision');
    await page.getByLabel('Device (serial)').fill(SERIAL);
    await page.getByRole('button', { name: 'Record event' }).click();
    await page.getByRole('status').filter({ hasText: 'Not recorded: a lead_revision names the leads revised' }).waitFor();
    await expect(items.count()).resolves.toBe(2);
    const refused = problems.splice(logged);
    expect(refused.filter((p) => !/status of 400/.test(p))).toEqual([]);
  });

  it('previews an engine setting over the patient’s history, naming the alerts it would add, before applying it', async () => {
    await page.goto(`${svc.httpUrl}/patients/${patientRef}`);
    await page.getByRole('heading', { name: 'Engine settings' }).waitFor();
    await page.getByText('No override: the site’s settings (or the defaults) apply.').waitFor();
    await page.getByText('Preview and change this patient’s settings').click();
    await page.getByLabel(/Proposed override/).fill('{"af": {"burdenHours": 1}}');
    const apply = page.getByRole('button', { name: 'Apply' });
    await expect(apply.isDisabled()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByRole('status').filter({ hasText: 'Preview ready: nothing has changed yet.' }).waitFor();
    const row = page.locator('table.preview-kinds tr', { hasText: 'AF burden' });
    const cells = await row.locator('td').allTextContents();
    // Stored, now, proposed, gained, lost: AF runs of 1.5 h now open alerts.
    expect(Number(cells[2])).toBeGreaterThan(0);
    expect(Number(cells[3])).toBe(Number(cells[2]));
    expect(await page.locator('ul.preview-gained li').count()).toBe(Number(cells[3]));
    const stored = await sql<{ n: number }>`SELECT count(*)::int AS n FROM engine_settings`.execute(tdb.db);
    expect(stored.rows[0]!.n).toBe(0);
    await apply.click();
    await page.getByRole('status').filter({ hasText: 'Applied' }).waitFor();
    await page.getByText(/This patient’s override:/).waitFor();
    await page.getByRole('button', { name: 'Remove override' }).click();
    await page.getByText('No override: the site’s settings (or the defaults) apply.').waitFor();
  });

  it('says a paced patient’s risk rests on insufficient data rather than a reassuring Low', async () => {
    await page.goto(`${svc.httpUrl}/patients/${pacedRef}`);
    await page.getByRole('heading', { name: 'Tom Byrne' }).waitFor();
    const badge = page.locator('.risk.risk-big');
    await expect(badge.textContent()).resolves.toBe('Insufficient data');
    await expect(badge.getAttribute('class')).resolves.toContain('risk-insufficient');
    await page.getByText('Not enough heart-failure data to judge risk').waitFor();
  });

  it('lists a gap found in history uploaded later as a past connectivity gap, not an alert', async () => {
    await page.goto(`${svc.httpUrl}/patients/${pacedRef}`);
    await page.getByRole('heading', { name: 'Past connectivity gaps' }).waitFor();
    const row = page.locator('table.connectivity tbody tr');
    await expect(row.count()).resolves.toBe(1);
    const cells = await row.locator('td').allTextContents();
    expect(cells[0]).toBe('PM-E2E-1');
    expect(cells[3]).toMatch(/^5 days/);
    expect(cells[4]).toBe('Found in history uploaded later');
    const alerts = await sql<{ n: number }>`SELECT count(*)::int AS n FROM alerts WHERE kind = 'connectivity_loss'`.execute(tdb.db);
    expect(alerts.rows[0]!.n).toBe(0);
  });

  it('reported no script errors and nothing blocked', () => {
    expect(problems.filter((p) => !/status of 401/.test(p))).toEqual([]);
  });
});
