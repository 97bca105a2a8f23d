// The admin command line's own checks before an enrolment: which of patient and device is
// the problem, said plainly to an operator who has the database anyway.
import { isDeviceSerial } from '../patients/service.ts';
import { patientRef } from '../patients/identity.ts';
import { deviceSiteBySerial } from '../store/devices.ts';
import { patientSiteCode } from '../store/patients.ts';
import type { Db } from '../store/db.ts';

/**
 * Refuse an enrolment that cannot work, saying which of patient and device is the problem.
 * The operator has the database, so naming both sites reveals nothing new to them; the
 * service's own refusals (for the API) stay as they are.
 */
export async function explainEnrolment(db: Db, patientId: number, serial: string, createDevice: boolean): Promise<void> {
  const ref = patientRef(patientId);
  if (!isDeviceSerial(serial)) throw new Error(`"${serial}" is not a device serial: 1-64 characters of A-Z a-z 0-9 . _ : -`);
  const patient = await patientSiteCode(db, patientId);
  if (!patient) throw new Error(`no patient ${ref} at any site (patient list shows the patients; patient create prints the new one's id)`);
  const device = await deviceSiteBySerial(db, serial);
  if (!device) {
    if (createDevice) return;
    throw new Error(
      `no such device ${serial}: a device exists once a gateway has sent a reading of it. ` +
        `To enrol it before that, add --create-device (it is registered to ${ref}'s site "${patient.code}")`,
    );
  }
  if (device.site_id !== patient.site_id) {
    throw new Error(
      `device ${serial} belongs to site "${device.code}" but patient ${ref} to site "${patient.code}": ` +
        `a device is enrolled only to a patient of its own site (is ${ref} the patient you meant?)`,
    );
  }
}

