// De-identification of the timeline export, pure: keyed pseudonyms, one date shift per
// subject, age bands. Everything derives from the export key, which never comes from the
// database: without the key a pseudonym cannot be linked to a patient, and two exports
// under different keys cannot be linked to each other.
import { createHmac } from 'node:crypto';

export const DAY_MS = 86_400_000;
/** Date shifts stay within ±MAX_SHIFT_DAYS (whole days, or whole seconds in `seconds` mode). */
export const MAX_SHIFT_DAYS = 180;
const MAX_SHIFT_S = MAX_SHIFT_DAYS * 86_400;

/**
 * How a subject's times are shifted.
 * - `days` (export contract v1, the default): a whole number of days; time of day and
 *   intervals are kept exactly. Events the service stamps at one instant for several
 *   subjects (one group commit, one sitting of enrolments) keep a common time of day, so
 *   they line up across subjects and one known date undoes every shift.
 * - `seconds`: a whole number of seconds over the same ±180 days, and every time cut to
 *   the whole second before it is shifted: one instant of the service's clock lands on
 *   unrelated times of day for different subjects; intervals are kept to the second.
 */
export const SHIFT_MODES = ['days', 'seconds'] as const;
export type ShiftMode = (typeof SHIFT_MODES)[number];
/** Hex digits of a subject pseudonym (128 bits: collisions are out of reach). */
export const SUBJECT_HEX = 32;
/** Hex digits of an alert pseudonym (64 bits, unique within any realistic export). */
export const ALERT_HEX = 16;

export interface Subject {
  readonly id: string;
  /** Added to every timestamp of the subject (after the time is cut to `grainMs`). */
  readonly shiftMs: number;
  /** Times are cut (floored) to a multiple of this before the shift: 1 (kept) or 1000 (whole seconds). */
  readonly grainMs: number;
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

/**
 * Seconds of shift for one HMAC output: uniform over ±180 days in whole seconds. 64 bits
 * modulo 31,104,001 values: the bias is below 2e-12.
 */
export function shiftSecondsOf(digest: Buffer): number {
  return Number(digest.readBigUInt64BE(0) % BigInt(2 * MAX_SHIFT_S + 1)) - MAX_SHIFT_S;
}

/** The exported (shifted) time of a true time `t` (ms) of `subject`. */
export function shiftTime(t: number, subject: Pick<Subject, 'shiftMs' | 'grainMs'>): number {
  return subject.grainMs === 1 ? t + subject.shiftMs : Math.floor(t / subject.grainMs) * subject.grainMs + subject.shiftMs;
}

export interface DeidentifierOptions {
  /** `days` (contract v1) unless said otherwise. */
  readonly shift?: ShiftMode;
}

export function createDeidentifier(key: string, options: DeidentifierOptions = {}): Deidentifier {
  if (key.length === 0) throw new Error('an export key is required');
  const seconds = (options.shift ?? 'days') === 'seconds';
  // Rows arrive grouped by subject: remembering the last one saves an HMAC per row.
  let last: { patientId: number; subject: Subject } | null = null;
  return {
    subject(patientId) {
      if (last?.patientId === patientId) return last.subject;
      const id = mac(key, 'subject', patientId).toString('hex').slice(0, SUBJECT_HEX);
      const subject: Subject = {
        id,
        // Its own label in seconds mode: the two shifts of a subject are unrelated.
        shiftMs: seconds ? shiftSecondsOf(mac(key, 'shift-seconds', patientId)) * 1000 : shiftDaysOf(mac(key, 'shift', patientId)) * DAY_MS,
        grainMs: seconds ? 1000 : 1,
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
