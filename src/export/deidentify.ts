// De-identification of the timeline export, pure: keyed pseudonyms, one date shift per
// subject, age bands. Everything derives from the export key, which never comes from the
// database: without the key a pseudonym cannot be linked to a patient, and two exports
// under different keys cannot be linked to each other.
import { createHmac } from 'node:crypto';

export const DAY_MS = 86_400_000;
/** Date shifts are whole days within ±MAX_SHIFT_DAYS. */
export const MAX_SHIFT_DAYS = 180;
/** Hex digits of a subject pseudonym (128 bits: collisions are out of reach). */
export const SUBJECT_HEX = 32;
/** Hex digits of an alert pseudonym (64 bits, unique within any realistic export). */
export const ALERT_HEX = 16;

export interface Subject {
  readonly id: string;
  /** Added to every timestamp of the subject. */
  readonly shiftMs: number;
  /** A number that orders subjects in the file by pseudonym, not by registration. */
  readonly order: number;
}

export interface Deidentifier {
  subject(patientId: number): Subject;
  alert(alertId: number): string;
}

// Domain separation: the same key makes unrelated values for subjects, shifts and alerts.
const mac = (key: string, label: string, id: number) => createHmac('sha256', key).update(`${label}:${id}`).digest();

/** Days of shift for one HMAC output: uniform over -180..180 (the bias of a 32-bit modulo is below 1e-7). */
export function shiftDaysOf(digest: Buffer): number {
  return (digest.readUInt32BE(0) % (2 * MAX_SHIFT_DAYS + 1)) - MAX_SHIFT_DAYS;
}

export function createDeidentifier(key: string): Deidentifier {
  if (key.length === 0) throw new Error('an export key is required');
  // Rows arrive grouped by subject: remembering the last one saves an HMAC per row.
  let last: { patientId: number; subject: Subject } | null = null;
  return {
    subject(patientId) {
      if (last?.patientId === patientId) return last.subject;
      const id = mac(key, 'subject', patientId).toString('hex').slice(0, SUBJECT_HEX);
      const subject: Subject = {
        id,
        shiftMs: shiftDaysOf(mac(key, 'shift', patientId)) * DAY_MS,
        order: parseInt(id.slice(0, 12), 16),
      };
      last = { patientId, subject };
      return subject;
    },
    alert(alertId) {
      return mac(key, 'alert', alertId).toString('hex').slice(0, ALERT_HEX);
    },
  };
}

/** 5-year bands, 90 and over as one; null for an unknown or impossible age. */
export function ageBand(years: number | null): string | null {
  if (years === null || !Number.isFinite(years) || years < 0) return null;
  if (years >= 90) return '90+';
  const low = Math.floor(years / 5) * 5;
  return `${low}-${low + 4}`;
}
