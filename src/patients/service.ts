// Registering patients and enrolling devices: one implementation for the HTTP routes,
// the admin command line and the demo.
import { ServiceError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { deviceBySerial, enrol, insertPatient } from '../store/patients.ts';
import { isUniqueViolation } from '../store/readings.ts';
import { isValidBirthDate, isValidNhsNumber, normaliseNhsNumber, patientRef } from './identity.ts';

export interface PatientInput {
  readonly site: string;
  readonly familyName: string;
  readonly givenName: string;
  readonly nhsNumber?: string | null;
  readonly dateOfBirth: string;
  readonly sex?: string;
}

export const SEXES = ['female', 'male', 'other', 'unknown'] as const;
export const DEVICE_TYPES = ['pacemaker', 'icd', 'crt_d', 'crt_p', 'loop_recorder', 'unknown'] as const;

/** Returns the new patient's internal id. Refuses invalid identity with `bad_message`, a taken NHS number with `conflict`. */
export async function createPatient(db: Db, input: PatientInput, now: number): Promise<number> {
  const site = await db.selectFrom('sites').select('id').where('code', '=', input.site).executeTakeFirst();
  if (!site) throw new ServiceError('bad_message', `no site "${input.site}"`);
  const nhs = input.nhsNumber ? normaliseNhsNumber(input.nhsNumber) : null;
  if (nhs !== null && !isValidNhsNumber(nhs)) throw new ServiceError('bad_message', 'nhsNumber is not a valid NHS number (10 digits with a valid check digit)');
  if (!isValidBirthDate(input.dateOfBirth, new Date(now))) throw new ServiceError('bad_message', 'dateOfBirth must be a past date, YYYY-MM-DD');
  const familyName = input.familyName.trim();
  const givenName = input.givenName.trim();
  if (!familyName || !givenName) throw new ServiceError('bad_message', 'familyName and givenName must not be blank');
  const sex = input.sex ?? 'unknown';
  if (!(SEXES as readonly string[]).includes(sex)) throw new ServiceError('bad_message', `sex must be one of ${SEXES.join(', ')}`);
  try {
    return await insertPatient(db, { siteId: site.id, familyName, givenName, nhsNumber: nhs, dateOfBirth: input.dateOfBirth, sex });
  } catch (e) {
    if (isUniqueViolation(e)) throw new ServiceError('conflict', 'a patient with this NHS number exists already');
    throw e;
  }
}

export interface EnrolOptions {
  /** Register the device in the patient's site if no gateway has sent a reading of it yet. */
  readonly createDevice?: boolean;
  readonly by?: number | null;
  /** pacemaker, icd, crt_d, crt_p, loop_recorder (default unknown). */
  readonly deviceType?: string;
}

/**
 * A device id as the ingest protocol admits it. Nothing else can name a stored device, and
 * checking first keeps NUL and lone surrogates (which PostgreSQL refuses) out of queries.
 */
export function isDeviceSerial(serial: string): boolean {
  return /^[A-Za-z0-9._:-]{1,64}$/.test(serial);
}

/** Link a device to a patient of the same site. Returns the device's internal id. */
export async function enrolDevice(db: Db, patient: { id: number; siteId: number }, serial: string, opts: EnrolOptions = {}): Promise<number> {
  if (!isDeviceSerial(serial)) throw new ServiceError('bad_message', 'serial must be 1-64 characters of A-Z a-z 0-9 . _ : -');
  const deviceType = opts.deviceType ?? 'unknown';
  if (!(DEVICE_TYPES as readonly string[]).includes(deviceType)) throw new ServiceError('bad_message', `deviceType must be one of ${DEVICE_TYPES.join(', ')}`);
  let device = await deviceBySerial(db, serial);
  if (!device && opts.createDevice) {
    await db.insertInto('devices').values({ serial, site_id: patient.siteId }).onConflict((oc) => oc.column('serial').doNothing()).execute();
    device = await deviceBySerial(db, serial);
  }
  if (!device) throw new ServiceError('not_found', 'no such device (a device exists once a gateway has sent a reading of it)');
  if (device.site_id !== patient.siteId) throw new ServiceError('bad_message', 'the device belongs to another site than the patient');
  if (device.patient_id !== null && device.patient_id !== patient.id) {
    throw new ServiceError('conflict', `the device is enrolled to ${patientRef(device.patient_id)}; unenrol it there first`);
  }
  await enrol(db, device.id, patient.id, deviceType, opts.by ?? null);
  return device.id;
}
