// What `npm start` needs besides readings: people who can sign in, and the simulated
// patients registered with their devices enrolled, so the dashboard shows patients and
// the alerts name them. Idempotent: a restart of the demo reuses what is there.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../src/store/db.ts';
import { createUser } from '../src/admin/commands.ts';
import type { Vault } from '../src/crypto/vault.ts';
import { nhsNumberIndex } from '../src/patients/sealed.ts';
import { lifecycleOf, recordLifecycle } from '../src/store/lifecycle.ts';
import { deviceBySerial, patientIdByNhsIndex } from '../src/store/patients.ts';
import { createPatient, enrolDevice } from '../src/patients/service.ts';
import type { Cohort } from './cohort.ts';
import type { Patient } from './types.ts';
import { Rng } from './prng.ts';

const FAMILY = ['Ahmed', 'Brown', 'Chen', 'Davies', 'Evans', 'Fraser', 'Green', 'Hughes', 'Iqbal', 'Jones', 'Kaur', 'Lewis', 'Morgan', 'Nowak', "O'Brien", 'Patel', 'Quinn', 'Roberts', 'Singh', 'Taylor', 'Usman', 'Vaughan', 'Walker', 'Young'];
const GIVEN = {
  female: ['Ada', 'Carys', 'Eileen', 'Farah', 'Hannah', 'Joan', 'Lena', 'Nora', 'Priya', 'Ruth', 'Teresa', 'Mei'],
  male: ['Bilal', 'David', 'George', 'Imran', 'Kwame', 'Mohammed', 'Owen', 'Samuel', 'Tomasz', 'Wei', 'Callum', 'Dev'],
} as const;

/**
 * A valid NHS number in the 999 range, which the NHS reserves for testing: never a real
 * person's. Deterministic in `n`; skips numbers whose check value would be 10.
 */
export function testNhsNumber(n: number): string {
  for (let k = n * 3; ; k++) {
    const nine = `999${String(k % 1_000_000).padStart(6, '0')}`;
    let sum = 0;
    for (let i = 0; i < 9; i++) sum += Number(nine[i]) * (10 - i);
    const check = 11 - (sum % 11);
    if (check === 10) continue;
    return `${nine}${check === 11 ? 0 : check}`;
  }
}

/**
 * Write `data` to `file` readable by its owner alone, replacing whatever is there. The
 * `mode` of writeFileSync applies only when it creates the file, so an existing 0644
 * file kept 0644 with passwords in it: a new file, made 0600, is renamed over the old one
 * instead (which also means no reader ever sees half of it).
 */
export function writeSecretFile(file: string, data: string): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`);
  try {
    const fd = fs.openSync(tmp, 'wx', 0o600);
    try {
      // The umask can only narrow the mode given to open; chmod makes it exactly 0600.
      fs.fchmodSync(fd, 0o600);
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

export interface DemoCredentials {
  readonly email: string;
  readonly role: string;
  readonly password: string;
}

/** Users of the demo site, with passwords kept (0600) in `file`: created once, reused after. */
export async function demoUsers(db: Db, site: string, file: string): Promise<DemoCredentials[]> {
  if (fs.existsSync(file)) {
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as DemoCredentials[];
    const emails = await db.selectFrom('users').select('email').where('email', 'in', saved.map((s) => s.email)).execute();
    if (emails.length === saved.length) return saved;
  }
  const people: DemoCredentials[] = [];
  const names = { clinician: 'Demo Nurse', admin: 'Demo Administrator', analyst: 'Demo Analyst' } as const;
  for (const role of ['clinician', 'admin', 'analyst'] as const) {
    let email = `${role}@demo.invalid`;
    const password = crypto.randomBytes(12).toString('base64url');
    // Users of an earlier demo whose passwords were lost: disabled, and new ones made.
    const exists = await db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
    if (exists) {
      await db.updateTable('users').set({ disabled_at: new Date() }).where('id', '=', exists.id).execute();
      email = `${role}+${Date.now()}@demo.invalid`;
    }
    await createUser(db, { email, name: names[role], role, password, sites: role === 'admin' ? [] : [site] });
    people.push({ email, role, password });
  }
  writeSecretFile(file, `${JSON.stringify(people, null, 2)}\n`);
  return people;
}

/** Register each simulated patient (synthetic name, test NHS number) and enrol their device. */
export async function demoPatients(db: Db, vault: Vault, site: string, patients: readonly Patient[], seed: number, now: number): Promise<number> {
  const siteRow = await db.selectFrom('sites').select('id').where('code', '=', site).executeTakeFirstOrThrow();
  const enrolled = new Set((await db.selectFrom('enrolments').innerJoin('devices', 'devices.id', 'enrolments.device_id').select('devices.serial').execute()).map((r) => r.serial));
  let n = 0;
  for (const p of patients) {
    if (enrolled.has(p.device)) continue;
    const rng = new Rng(`demo-people/${seed}/${p.index}`);
    const ageYears = rng.int(45, 92);
    const sex = rng.int(0, 1) === 0 ? 'female' : 'male';
    const dob = new Date(now - ageYears * 365.25 * 86_400_000 - rng.int(0, 364) * 86_400_000).toISOString().slice(0, 10);
    const nhsNumber = testNhsNumber(seed * 100_000 + p.index);
    const existing = await patientIdByNhsIndex(db, nhsNumberIndex(vault, nhsNumber));
    const id = existing ?? await createPatient(db, vault, {
      site,
      familyName: FAMILY[rng.int(0, FAMILY.length - 1)]!,
      givenName: GIVEN[sex][rng.int(0, GIVEN[sex].length - 1)]!,
      nhsNumber,
      dateOfBirth: dob,
      sex,
    }, now);
    await enrolDevice(db, vault, { id, siteId: siteRow.id }, p.device, { createDevice: true, deviceType: p.type });
    n++;
  }
  return n;
}

/**
 * Record the cohort's device lifecycle events in the service (`DEMO_LIFECYCLE=1`), as a clinic
 * would through the API: a generator change enrols the new serial to the patient and records
 * the change on it, which explants the old one; the others go on the serial they happened to.
 * Recorded before the readings arrive, so the engine takes each in at its event time. Patients
 * must be registered first (demoPatients). Idempotent: an event already recorded is skipped.
 */
export async function demoLifecycle(db: Db, vault: Vault, site: string, cohort: Cohort, seed: number): Promise<number> {
  const siteRow = await db.selectFrom('sites').select('id').where('code', '=', site).executeTakeFirstOrThrow();
  const byId = new Map(cohort.patients.map((p) => [p.id, p]));
  let n = 0;
  for (const e of cohort.lifecycle) {
    // An explant comes with its generator change.
    if (e.kind === 'explant') continue;
    const p = byId.get(e.patientId);
    const patientId = p && await patientIdByNhsIndex(db, nhsNumberIndex(vault, testNhsNumber(seed * 100_000 + p.index)));
    if (!p || patientId === null || patientId === undefined) continue;
    let deviceId: number;
    let previousDeviceId: number | undefined;
    if (e.kind === 'generator_change') {
      const old = e.replaces === undefined ? null : await deviceBySerial(db, e.replaces);
      if (!old) continue;
      previousDeviceId = old.id;
      deviceId = (await enrolDevice(db, vault, { id: patientId, siteId: siteRow.id }, e.device, { createDevice: true, deviceType: p.type })).deviceId;
    } else {
      const device = await deviceBySerial(db, e.device);
      if (!device) continue;
      deviceId = device.id;
    }
    const at = Date.parse(e.at);
    const known = (await lifecycleOf(db, [deviceId])).get(deviceId)?.events ?? [];
    if (known.some((k) => k.kind === e.kind && k.at === at)) continue;
    await recordLifecycle(db, {
      deviceId, kind: e.kind, at, source: 'admin', by: null,
      ...(e.leads ? { leads: e.leads } : {}),
      ...(e.metrics ? { metrics: e.metrics } : {}),
      ...(previousDeviceId === undefined ? {} : { previousDeviceId }),
    });
    n++;
  }
  return n;
}
