// What a patient search (`q` of GET /v1/patients) asks for, and the words a name is indexed
// by. Pure: no keys, no database. The blind-index tokens are made from these words by the
// vault (src/patients/name-tokens.ts).
import { isValidNhsNumber, normaliseNhsNumber } from './identity.ts';

/** The longest `q` taken, and the most name words in one search. */
export const MAX_QUERY_LENGTH = 100;
export const MAX_QUERY_WORDS = 6;
/** A word longer than this is cut (no name word is; it bounds what a token is made of). */
const MAX_WORD_LENGTH = 64;

/** The search kinds, as the audit log records them (never the text searched for). */
export type SearchKind = 'nhsNumber' | 'serial' | 'name' | 'nameOrSerial';

export type PatientQuery =
  | { readonly kind: 'nhsNumber'; readonly nhsNumber: string }
  | { readonly kind: 'serial'; readonly serial: string }
  | { readonly kind: 'name'; readonly words: readonly string[] }
  /** One word that could be either: patients with that name word or a serial starting with it. */
  | { readonly kind: 'nameOrSerial'; readonly words: readonly string[]; readonly serial: string };

export class QueryError extends Error {}

// Letters that do not decompose into a base letter and a mark under NFKD.
const FOLD: Record<string, string> = {
  ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', ł: 'l', đ: 'd', ð: 'd', þ: 'th', ı: 'i', ħ: 'h', ŧ: 't', ŀ: 'l',
};

/**
 * The words a name is indexed and searched by: lower case, accents folded (Zoë → zoe,
 * Łukasz → lukasz), split at spaces and dashes (Smith-Jones → smith, jones), other
 * punctuation removed (O'Brien → obrien), each word once.
 */
export function nameWords(...names: readonly string[]): string[] {
  const words = new Set<string>();
  for (const name of names) {
    const folded = name.normalize('NFKD').toLowerCase().replace(/\p{M}/gu, '').replace(/[ßæœøłđðþıħŧŀ]/g, (c) => FOLD[c] ?? c);
    for (const part of folded.split(/[\s\p{Pd}_/]+/u)) {
      const word = part.replace(/[^\p{L}\p{N}]/gu, '').slice(0, MAX_WORD_LENGTH);
      if (word) words.add(word);
    }
  }
  return [...words];
}

const SERIAL = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * What `q` searches for, or null when it is blank. Ten digits (spaces allowed) are an NHS
 * number; one word with a digit is a device serial (exact or the start of one); other text
 * is name words. A single word without digits that could be a serial (MDT, LC-SILENT) is
 * searched as both. Throws QueryError, with a message for the user, for what cannot be a search.
 */
export function parsePatientQuery(raw: string): PatientQuery | null {
  const q = raw.trim();
  if (q === '') return null;
  if (raw.length > MAX_QUERY_LENGTH) throw new QueryError(`q must be at most ${MAX_QUERY_LENGTH} characters`);
  // Control characters (NUL among them) are in no name, number or serial.
  if (/\p{Cc}/u.test(q)) throw new QueryError('q must not contain control characters');
  if (/^[\d\s]+$/.test(q)) {
    const digits = normaliseNhsNumber(q);
    if (digits.length === 10) {
      if (!isValidNhsNumber(digits)) throw new QueryError('q has 10 digits but is not a valid NHS number (its check digit is wrong)');
      return { kind: 'nhsNumber', nhsNumber: digits };
    }
    if (/\s/.test(q)) throw new QueryError('an NHS number has 10 digits; part of one cannot be searched');
    if (SERIAL.test(q)) return { kind: 'serial', serial: q };
  }
  if (/\d/.test(q)) {
    if (SERIAL.test(q)) return { kind: 'serial', serial: q };
    throw new QueryError('q is a name (letters), an NHS number (10 digits) or one device serial (letters, digits and . _ : -)');
  }
  const words = nameWords(q);
  if (words.length === 0) throw new QueryError('q has no letters to search a name by');
  if (words.length > MAX_QUERY_WORDS) throw new QueryError(`a name search takes at most ${MAX_QUERY_WORDS} words`);
  return SERIAL.test(q) ? { kind: 'nameOrSerial', words, serial: q } : { kind: 'name', words };
}

/** A LIKE pattern matching what starts with `prefix`, case folded (serials hold `_`, a LIKE wildcard). */
export function serialPrefixPattern(prefix: string): string {
  return `${prefix.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
