import { insertAudit } from '../store/audit.ts';
import type { Db } from '../store/db.ts';
import type { SessionUser } from './sessions.ts';

// The audit trail: who read or changed which patient's data, and when. The table
// is append-only (a trigger refuses UPDATE, DELETE and TRUNCATE). Patient and
// device are internal ids, never serials or identifiers; `detail` must not carry
// identifiers either. The database chains every row to the one before by hash
// (migration 0007; `npm run admin -- audit verify`), taking a lock until the writing
// transaction commits: write audit rows late in a transaction, never in REPEATABLE READ.

export interface AuditEntry {
  /** null for actions without a signed-in user (e.g. a refused sign-in for an unknown email). */
  readonly user: Pick<SessionUser, 'id' | 'role'> | null;
  /** What was done, e.g. `alert.read`, `patient.timeline`, `session.create`. */
  readonly action: string;
  /** The route pattern, e.g. `/v1/patients/:id/timeline` (never the URL with its values). */
  readonly route?: string;
  readonly patientId?: number;
  readonly deviceId?: number;
  readonly detail?: Record<string, unknown>;
}

/** Append one entry to the audit log (one INSERT). Use the caller's transaction to tie it to the read. */
export async function recordAudit(db: Db, entry: AuditEntry): Promise<void> {
  await insertAudit(db, {
    user_id: entry.user?.id ?? null,
    role: entry.user?.role ?? null,
    action: entry.action,
    route: entry.route ?? null,
    patient_id: entry.patientId ?? null,
    device_id: entry.deviceId ?? null,
    detail: JSON.stringify(entry.detail ?? {}),
  });
}
