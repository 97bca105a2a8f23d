// The audit entry of a PID-7 birth-date mismatch. Kept apart from the pure IDCO modules
// because it writes to the database.
import { sql } from 'kysely';
import { recordAudit } from '../../auth/audit.ts';
import type { Db } from '../../store/db.ts';
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
  const enrolled = await sql<{ device_id: number; patient_id: number }>`
    SELECT d.id AS device_id, e.patient_id
    FROM devices d JOIN enrolments e ON e.device_id = d.id
    WHERE d.serial = ${serial} AND d.site_id = ${siteId}`.execute(db);
  const row = enrolled.rows[0];
  await recordAudit(db, {
    user: null,
    action: IDENTITY_MISMATCH_ACTION,
    route: sender.transport === 'http' ? '/v1/idco' : undefined,
    deviceId: row?.device_id,
    patientId: row?.patient_id,
    detail: { sender, mismatchesInWindow, limited },
  });
}
