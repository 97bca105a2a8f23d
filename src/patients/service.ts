// Registering patients and enrolling devices: one implementation for the HTTP routes,
// the admin command line and the demo.
import { ServiceError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { insertDeviceIfAbsent } from '../store/devices.ts';
import { deviceBySerial, enrol, insertPatient, otherEarlierPatients, patientSealedBirthDate } from '../store/patients.ts';
import type { Vault } from '../crypto/vault.ts';
import { ageInYears, FIELD, sealIdentity } from './sealed.ts';
import { indexName } from './name-tokens.ts';
import { isUniqueViolation } from '../store/readings.ts';
import { siteIdByCode } from '../store/sites.ts';
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

/**
 * Returns the new patient's internal id. Refuses invalid identity with `bad_message`, a taken
 * NHS number with `conflict`. The identifiers are sealed under a data key of the patient's
 * own, created in the same transaction.
 */
export async function createPatient(db: Db, vault: Vault, input: PatientInput, now: number): Promise<number> {
  const siteId = await siteIdByCode(db, input.site);
  if (siteId === undefined) throw new ServiceError('bad_message', `no site "${input.site}"`);
  const nhs = input.nhsNumber ? normaliseNhsNumber(input.nhsNumber) : null;
  if (nhs !== null && !isValidNhsNumber(nhs)) throw new ServiceError('bad_message', 'nhsNumber is not a valid NHS number (10 digits with a valid check digit)');
  if (!isValidBirthDate(input.dateOfBirth, new Date(now))) throw new ServiceError('bad_message', 'dateOfBirth must be a past date, YYYY-MM-DD');
  const familyName = input.familyName.trim();
  const givenName = input.givenName.trim();
  if (!familyName || !givenName) throw new ServiceError('bad_message', 'familyName and givenName must not be blank');
  const sex = input.sex ?? 'unknown';
  if (!(SEXES as readonly string[]).includes(sex)) throw new ServiceError('bad_message', `sex must be one of ${SEXES.join(', ')}`);
  try {
    return await db.transaction().execute(async (trx) => {
      const key = await vault.newPatientKey(trx);
      const sealed = sealIdentity(vault, key, { familyName, givenName, nhsNumber: nhs, dateOfBirth: input.dateOfBirth });
      const id = await insertPatient(trx, { siteId, sex, ...sealed });
      await indexName(trx, vault, id, givenName, familyName);
      return id;
    });
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
  /**
   * The device was enrolled to another patient by mistake: enrol it here even so, and its
   * readings and alerts (all of them) move to this patient. Without it, a device ever
   * enrolled to someone else is refused.
   */
  readonly correction?: boolean;
}

export interface Enrolled {
  readonly deviceId: number;
  /** The other patients (internal ids) the device was enrolled to before, when a correction. */
  readonly correctionOf: number[];
}

/**
 * A device id as the ingest protocol admits it. Nothing else can name a stored device, and
 * checking first keeps NUL and lone surrogates (which PostgreSQL refuses) out of queries.
 */
export function isDeviceSerial(serial: string): boolean {
  return /^[A-Za-z0-9._:-]{1,64}$/.test(serial);
}

/**
 * Link a device to a patient of the same site. A device is implanted in one person: its
 * readings and alerts are shown and exported as that person's, all of them, whenever they
 * were taken. Enrolling a device that was ever enrolled to someone else would move that
 * history to this patient, so it is refused unless `correction` says the earlier enrolment
 * was a mistake (audited with the earlier patients).
 */
export async function enrolDevice(db: Db, vault: Vault, patient: { id: number; siteId: number }, serial: string, opts: EnrolOptions = {}): Promise<Enrolled> {
  if (!isDeviceSerial(serial)) throw new ServiceError('bad_message', 'serial must be 1-64 characters of A-Z a-z 0-9 . _ : -');
  const deviceType = opts.deviceType ?? 'unknown';
  if (!(DEVICE_TYPES as readonly string[]).includes(deviceType)) throw new ServiceError('bad_message', `deviceType must be one of ${DEVICE_TYPES.join(', ')}`);
  if (opts.createDevice) {
    await insertDeviceIfAbsent(db, serial, patient.siteId);
  }
  return db.transaction().execute(async (trx) => {
    const device = await deviceBySerial(trx, serial, { lock: true });
    if (!device) throw new ServiceError('not_found', 'no such device (a device exists once a gateway has sent a reading of it)');
    if (device.site_id !== patient.siteId) throw new ServiceError('bad_message', 'the device belongs to another site than the patient');
    if (device.patient_id !== null && device.patient_id !== patient.id) {
      throw new ServiceError('conflict', `the device is enrolled to ${patientRef(device.patient_id)}; unenrol it there first`);
    }
    const earlier = device.patient_id === patient.id ? [] : await otherEarlierPatients(trx, device.id, patient.id);
    if (earlier.length > 0 && opts.correction !== true) {
      throw new ServiceError(
        'conflict',
        `the device was enrolled to ${earlier.map(patientRef).join(', ')} before; enrolled here, all its readings and alerts would show as this patient's. ` +
          'If that enrolment was a mistake, enrol again as a correction',
      );
    }
    // The age at enrolment goes with the enrolment, so that the export needs no birth date.
    const sealedBirth = await patientSealedBirthDate(trx, patient.id);
    const age = sealedBirth ? ageInYears(await vault.openOne(FIELD.dateOfBirth, sealedBirth), new Date().toISOString().slice(0, 10)) : null;
    await enrol(trx, device.id, patient.id, deviceType, opts.by ?? null, earlier.length > 0, age);
    return { deviceId: device.id, correctionOf: earlier };
  });
}
