import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import type { Reading } from '../helpers/gateway.ts';
import { seedUser, signIn } from '../helpers/people.ts';
import { parseCsv } from '../unit/export/rfc4180.ts';

// The two attacks a security probe made on the de-identified export, against a real
// PostgreSQL: lining subjects up by the service clock (alerts opened in one group commit,
// enrolments made in one sitting) to undo the date shifts, and singling subjects out by
// the enrolled row's site, device type, sex and age band (small cells).

const run = promisify(execFile);
const DAY = 86_400_000;
// Readings at 02:00:07 (whole seconds, as devices stamp them), the day an episode is reported.
const T0 = Date.UTC(2026, 0, 1, 2, 0, 7);
const EPISODE_DAY = 25;
// What the service clock stamps for every subject at once (microseconds, like now()).
const ENROLLED_AT = '2025-12-20T09:30:00.123456Z';
const KEY = 'another export key, long enough to be accepted';
const SITE = 'north';

const SUBJECTS = [
  { dob: '1950-06-15', sex: 'female', deviceType: 'icd' },
  { dob: '1944-02-01', sex: 'male', deviceType: 'icd' },
  { dob: '1961-09-30', sex: 'female', deviceType: 'pacemaker' },
  { dob: '1938-11-11', sex: 'male', deviceType: 'pacemaker' },
  { dob: '1972-04-04', sex: 'female', deviceType: 'crt_d' },
  { dob: '1955-07-21', sex: 'male', deviceType: 'crt_d' },
  { dob: '1947-12-24', sex: 'female', deviceType: 'crt_p' },
  { dob: '1966-03-03', sex: 'male', deviceType: 'crt_p' },
  { dob: '1980-08-08', sex: 'female', deviceType: 'loop_recorder' },
  { dob: '1930-01-05', sex: 'male', deviceType: 'loop_recorder' },
];
const serial = (i: number) => `NRT-DEID${String(i).padStart(4, '0')}X`;

/** The 5-year band of the age at enrolment (ENROLLED_AT's date). */
/** Whole years at ENROLLED_AT. */
function ageAtEnrolment(dob: string): number {
  const [y, m, d] = dob.split('-').map(Number) as [number, number, number];
  const at = new Date(ENROLLED_AT);
  let age = at.getUTCFullYear() - y;
  if (at.getUTCMonth() + 1 < m || (at.getUTCMonth() + 1 === m && at.getUTCDate() < d)) age--;
  return age;
}

function band(dob: string): string {
  const age = ageAtEnrolment(dob);
  if (age >= 90) return '90+';
  const low = Math.floor(age / 5) * 5;
  return `${low}-${low + 4}`;
}

let tdb: TestDatabase;
let svc: RunningService;
let analyst: string;
let acknowledgedAt: number;
let openedAt: number;
let outDir: string;

type Row = Record<string, string>;
const rowsOf = (csv: string): Row[] => {
  const [header, ...records] = parseCsv(csv);
  return records.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i]!])));
};
const timeOfDay = (at: string) => ((Date.parse(at) % DAY) + DAY) % DAY;
const SERVICE_CLOCK = new Set(['enrolled', 'alert_opened', 'alert_updated', 'alert_acknowledged', 'alert_assigned', 'alert_escalated', 'alert_resolved', 'connectivity_lost', 'connectivity_restored']);

async function post(p: string, cookie: string, body: unknown) {
  const res = await fetch(`${svc.httpUrl}${p}`, {
    method: 'POST',
    headers: { cookie, origin: svc.httpUrl, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status, `${p}: ${await res.clone().text()}`).toBeLessThan(300);
  return (await res.json()) as Record<string, never>;
}

async function cli(args: string[]) {
  const out = path.join(outDir, `timeline-${Math.random().toString(36).slice(2)}.csv`);
  try {
    const { stderr } = await run(process.execPath, ['--import', 'tsx', 'src/export/cli.ts', '--format', 'csv', '--out', out, '--site', SITE, ...args], {
      env: { ...process.env, DATABASE_URL: tdb.url, EXPORT_KEY: KEY },
    });
    return { code: 0, stderr, rows: rowsOf(fs.readFileSync(out, 'utf8')) };
  } catch (e) {
    const err = e as { code: number; stderr: string };
    return { code: err.code, stderr: err.stderr, rows: [] as Row[] };
  }
}

beforeAll(async () => {
  outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'export-deid-'));
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  svc = await startService(tdb.db, tdb.url, { EXPORT_KEY: KEY });
  const gatewayKey = (await seedGateway(tdb.db, SITE)).key;
  const gw = await svc.gateway(gatewayKey);
  const readings: Reading[] = [];
  let seq = 0;
  for (let d = 0; d < 30; d++) {
    const at = new Date(T0 + d * DAY).toISOString();
    SUBJECTS.forEach((_, i) => {
      readings.push({ device: serial(i), seq: ++seq, at, metric: 'vt_episodes', value: d === EPISODE_DAY ? 2 : 0 });
      readings.push({ device: serial(i), seq: ++seq, at, metric: 'battery_status', value: d < 20 ? 1 : 2 });
    });
  }
  await gw.batch('b1', readings);
  gw.close();

  const admin = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'admin')).email);
  const clinician = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'clinician', [SITE])).email);
  analyst = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'analyst', [SITE])).email);
  for (const [i, s] of SUBJECTS.entries()) {
    const created = await post('/v1/patients', admin, { site: SITE, familyName: `Family${i}`, givenName: `Given${i}`, dateOfBirth: s.dob, sex: s.sex });
    const ref = (created.patient as unknown as { id: string }).id;
    await post(`/v1/patients/${ref}/devices`, admin, { serial: serial(i), deviceType: s.deviceType });
  }
  // Enrolments of one sitting, stamped in the same second (microseconds, like now()).
  await sql`UPDATE enrolments SET enrolled_at = ${ENROLLED_AT}::timestamptz`.execute(tdb.db);
  // The age kept with each enrolment is the age on its day: moved with it.
  for (const [i, s] of SUBJECTS.entries()) {
    await sql`UPDATE enrolments e SET age_at_enrolment = ${ageAtEnrolment(s.dob)} FROM devices d WHERE d.id = e.device_id AND d.serial = ${serial(i)}`.execute(tdb.db);
  }
  // The episodes of all ten devices came in one batch: their alerts were opened in one
  // group commit, at one instant of the service clock.
  const opened = await sql<{ t: number }>`
    SELECT DISTINCT date_part('epoch', e.at) * 1000 AS t FROM alert_events e JOIN alerts a ON a.id = e.alert_id
    WHERE e.type = 'opened' AND a.kind = 'ventricular_arrhythmia'`.execute(tdb.db);
  expect(opened.rows).toHaveLength(1);
  openedAt = Number(opened.rows[0]!.t);
  const first = await tdb.db
    .selectFrom('alerts').innerJoin('devices', 'devices.id', 'alerts.device_id').select('alerts.id')
    .where('kind', '=', 'ventricular_arrhythmia').where('serial', '=', serial(0))
    .executeTakeFirstOrThrow();
  await post(`/v1/alerts/${first.id}/acknowledge`, clinician, {});
  const ack = await sql<{ t: number }>`
    SELECT date_part('epoch', at) * 1000 AS t FROM alert_events WHERE alert_id = ${first.id} AND type = 'acknowledged'`.execute(tdb.db);
  acknowledgedAt = Number(ack.rows[0]!.t);
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
  if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
});

/** Each subject's rows, by pseudonym. */
const bySubject = (rows: Row[]) => {
  const m = new Map<string, Row[]>();
  for (const r of rows) m.set(r.subject!, [...(m.get(r.subject!) ?? []), r]);
  return m;
};

describe('date shifts against the service clock', () => {
  it('with whole-day shifts (contract v1, the default), events stamped at one instant share a time of day across subjects', async () => {
    const res = await fetch(`${svc.httpUrl}/v1/exports/timeline?format=csv`, { headers: { cookie: analyst } });
    const rows = rowsOf(await res.text());
    const opened = rows.filter((r) => r.event === 'alert_opened' && r.kind === 'ventricular_arrhythmia');
    expect(new Set(opened.map((r) => r.subject)).size).toBe(SUBJECTS.length);
    // The attack the seconds shift answers: one time of day, on ten different dates.
    expect(new Set(opened.map((r) => timeOfDay(r.at!)))).toEqual(new Set([timeOfDay(new Date(openedAt).toISOString())]));
    expect(new Set(opened.map((r) => r.at!.slice(0, 10))).size).toBeGreaterThan(1);
  });

  it('with --shift seconds, no two subjects share a time of day of any service-clock event', async () => {
    const res = await cli(['--shift', 'seconds']);
    expect(res.code, res.stderr).toBe(0);
    const subjects = bySubject(res.rows);
    expect(subjects.size).toBe(SUBJECTS.length);
    const owner = new Map<number, string>();
    let checked = 0;
    for (const [subject, rows] of subjects) {
      const service = rows.filter((r) => SERVICE_CLOCK.has(r.event!));
      // Each subject has its enrolment and its alerts' openings, all stamped at the common instants.
      expect(service.filter((r) => r.event === 'enrolled')).toHaveLength(1);
      expect(service.filter((r) => r.event === 'alert_opened').length).toBeGreaterThanOrEqual(1);
      for (const r of service) {
        const tod = timeOfDay(r.at!);
        const other = owner.get(tod);
        expect(other === undefined || other === subject, `${r.event} at ${r.at} shares its time of day with another subject`).toBe(true);
        owner.set(tod, subject);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(2 * SUBJECTS.length);
    // Still RFC 3339 with milliseconds (always .000: times are cut to the second), UTC.
    for (const r of res.rows) expect(r.at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$/);
  });

  it('with --shift seconds, keeps one subject\'s intervals: one shift for every event, times cut to the second', async () => {
    const res = await cli(['--shift', 'seconds']);
    expect(res.code, res.stderr).toBe(0);
    // The subject with the acknowledged alert.
    const rows = [...bySubject(res.rows).values()].find((r) => r.some((x) => x.event === 'alert_acknowledged'))!;
    expect(rows).toBeDefined();
    const second = (t: number) => Math.floor(t / 1000) * 1000;
    const truth: Record<string, number[]> = {
      enrolled: [second(Date.parse(ENROLLED_AT))],
      battery_status: [T0, T0 + 20 * DAY],
      episode: [T0 + EPISODE_DAY * DAY],
      alert_opened: [second(openedAt)],
      alert_acknowledged: [second(acknowledgedAt)],
    };
    const shifts = new Set<number>();
    for (const [event, times] of Object.entries(truth)) {
      const exported = rows.filter((r) => r.event === event && (r.kind === '' || r.kind === 'ventricular_arrhythmia')).map((r) => Date.parse(r.at!));
      expect(exported, event).toHaveLength(times.length);
      exported.forEach((t, i) => shifts.add(t - times[i]!));
    }
    // The same shift for all of them, so every interval of the subject is the true one
    // (exactly for the device's whole-second times, to the second for the service's).
    expect(shifts.size).toBe(1);
    const [shift] = [...shifts];
    expect(Math.abs(shift!)).toBeLessThanOrEqual(180 * DAY);
    const at = (event: string) => Date.parse(rows.find((r) => r.event === event && (r.kind === '' || r.kind === 'ventricular_arrhythmia'))!.at!);
    expect(at('episode') - at('battery_status')).toBe(EPISODE_DAY * DAY);
    expect(at('alert_acknowledged') - at('alert_opened')).toBe(second(acknowledgedAt) - second(openedAt));
    // Rows stay in time order.
    const times = rows.map((r) => Date.parse(r.at!));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it('with --shift seconds, from and to select on the shifted clock, a subset of the whole file', async () => {
    const all = await cli(['--shift', 'seconds']);
    const episode = all.rows.find((r) => r.event === 'episode')!;
    const t = Date.parse(episode.at!);
    const one = await cli(['--shift', 'seconds', '--from', new Date(t).toISOString(), '--to', new Date(t + 1).toISOString()]);
    expect(one.code, one.stderr).toBe(0);
    const inWindow = all.rows.filter((r) => r.event === 'enrolled' || Date.parse(r.at!) === t);
    expect(one.rows).toEqual(inWindow);
    expect(one.rows.map((r) => r.event)).toContain('episode');
  });
});

describe('small cells of the enrolled row', () => {
  const combination = (r: Row) => JSON.stringify([r.site, r.device_type, r.sex, r.age_band]);

  it('come through unchanged with --min-cell 1: ten subjects, ten distinct combinations', async () => {
    const res = await cli(['--min-cell', '1']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain('small cells: protection off');
    const enrolled = res.rows.filter((r) => r.event === 'enrolled');
    const expected = SUBJECTS.map((s) => JSON.stringify([SITE, s.deviceType, s.sex, band(s.dob)])).sort();
    expect(enrolled.map(combination).sort()).toEqual(expected);
    expect(new Set(expected).size).toBe(SUBJECTS.length);
  });

  it('are shared by at least five subjects by default, and the summary counts what was changed', async () => {
    const plain = (await cli(['--min-cell', '1'])).rows.filter((r) => r.event === 'enrolled');
    const res = await fetch(`${svc.httpUrl}/v1/exports/timeline?format=csv`, { headers: { cookie: analyst } });
    expect(res.status).toBe(200);
    const enrolled = rowsOf(await res.text()).filter((r) => r.event === 'enrolled');
    expect(enrolled).toHaveLength(SUBJECTS.length);
    const cells = new Map<string, Set<string>>();
    for (const r of enrolled) cells.set(combination(r), (cells.get(combination(r)) ?? new Set()).add(r.subject!));
    for (const [cell, subjects] of cells) expect(subjects.size, cell).toBeGreaterThanOrEqual(5);

    // What the file changed, value by value, against the unprotected export of the same subjects.
    const before = new Map(plain.map((r) => [r.subject!, r]));
    const counted = { generalised: { age_band: 0 }, suppressed: { site: 0, device_type: 0, sex: 0, age_band: 0 } };
    const changed = new Set<string>();
    for (const r of enrolled) {
      for (const name of ['site', 'device_type', 'sex', 'age_band'] as const) {
        if (r[name] === before.get(r.subject!)![name]) continue;
        changed.add(r.subject!);
        if (r[name] === '*') counted.suppressed[name]++;
        else counted.generalised.age_band++;
      }
    }
    expect(changed.size).toBeGreaterThan(0);

    let audit: Array<{ detail: Record<string, unknown> }> = [];
    for (let i = 0; i < 50 && audit.length === 0; i++) {
      audit = (await sql<{ detail: Record<string, unknown> }>`
        SELECT detail FROM audit_log WHERE action = 'export.timeline' AND detail->'small_cells'->>'subjects' IS NOT NULL
        ORDER BY id DESC LIMIT 1`.execute(tdb.db)).rows;
      if (audit.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(audit[0]!.detail).toMatchObject({ outcome: 'complete', shift: 'days', small_cells: { k: 5, subjects: changed.size, ...counted } });

    const viaCli = await cli([]);
    expect(viaCli.code, viaCli.stderr).toBe(0);
    const s = counted.suppressed;
    expect(viaCli.stderr).toContain(
      `small cells (k=5): ${changed.size} subjects' enrolled values changed, ${counted.generalised.age_band} generalised (age_band ${counted.generalised.age_band}), `
      + `${s.site + s.device_type + s.sex + s.age_band} suppressed (site ${s.site}, device_type ${s.device_type}, sex ${s.sex}, age_band ${s.age_band})`,
    );
    expect(viaCli.rows.filter((r) => r.event === 'enrolled').map(combination).sort()).toEqual(enrolled.map(combination).sort());
  });

  it('refuse a k that is not a whole number from 1', async () => {
    for (const k of ['0', '-3', 'five', '2.5']) {
      const res = await cli([`--min-cell=${k}`]);
      expect([res.code, res.stderr.includes('--min-cell')], k).toEqual([2, true]);
    }
  });
});

describe('the export route under EXPORT_SHIFT and EXPORT_MIN_CELL', () => {
  it('shifts by seconds and leaves small cells alone when the service is configured so', async () => {
    const configured = await startService(tdb.db, tdb.url, { EXPORT_KEY: KEY, EXPORT_SHIFT: 'seconds', EXPORT_MIN_CELL: '1' });
    const audits = async () => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_log WHERE action = 'export.timeline'`.execute(tdb.db)).rows[0]!.n;
    const before = await audits();
    try {
      const res = await fetch(`${configured.httpUrl}/v1/exports/timeline?format=csv&site=${SITE}`, { headers: { cookie: analyst } });
      expect(res.status).toBe(200);
      const rows = rowsOf(await res.text());
      // Every subject's service-clock times of day are its own.
      const owners = new Map<number, Set<string>>();
      for (const r of rows) {
        if (!SERVICE_CLOCK.has(r.event!)) continue;
        const t = timeOfDay(r.at!);
        owners.set(t, (owners.get(t) ?? new Set()).add(r.subject!));
      }
      expect(owners.size).toBeGreaterThan(0);
      expect([...owners.values()].every((s) => s.size === 1)).toBe(true);
      // k = 1: the ten distinct combinations come through as they are.
      const enrolled = rows.filter((r) => r.event === 'enrolled');
      expect(enrolled.some((r) => Object.values(r).includes('*'))).toBe(false);
      // The outcome row is written once the response has ended: wait for it.
      for (let i = 0; i < 100 && (await audits()) === before; i++) await new Promise((r) => setTimeout(r, 50));
      const audit = await sql<{ detail: { shift: string; small_cells: { k: number } | null } }>`
        SELECT detail FROM audit_log WHERE action = 'export.timeline' ORDER BY id DESC LIMIT 1`.execute(tdb.db);
      expect(audit.rows[0]!.detail).toMatchObject({ shift: 'seconds', small_cells: { k: 1 } });
    } finally {
      await configured.close();
    }
  });
});
