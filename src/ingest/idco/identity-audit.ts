// The audit entry of a PID-7 birth-date mismatch. Kept apart from the pure IDCO modules
// because it writes to the database.
import { recordAudit } from '../../auth/audit.ts';
import type { Db } from '../../store/db.ts';
import { enrolledDevice } from '../../store/devices.ts';
import type { IdcoSender } from './identity-guard.ts';

export const IDENTITY_MISMATCH_ACTION = 'idco.identity_mismatch';

/**
 * Append `idco.identity_mismatch`: the device and its enrolled patient as internal ids, the
 * sender, and whether this mismatch reached the sender's limit. Never the birth date given,
 * nor the serial (the audit log holds internal ids only).
 */
export async function auditIdentityMismatch(
  db: Db,
  siteId: number,
  serial: string,
  sender: IdcoSender,
  mismatchesInWindow: number,
  limited: boolean,
): Promise<void> {
  const row = await enrolledDevice(db, serial, siteId);
  await recordAudit(db, {
    user: null,
    action: IDENTITY_MISMATCH_ACTION,
    route: sender.transport === 'http' ? '/v1/idco' : undefined,
    deviceId: row?.device_id,
    patientId: row?.patient_id,
    detail: { sender, mismatchesInWindow, limited },
  });
}
