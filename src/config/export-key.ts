import crypto from 'node:crypto';

// The export key is an HMAC key: whoever can guess it can recompute every subject's
// pseudonym from the identifiers and so re-identify the export. Length alone does not
// make it unguessable (32 × `a` passed the length check and was guessed at once).

/** A shorter export key could be guessed, and with it every subject's pseudonym reversed. */
export const EXPORT_KEY_MIN_LENGTH = 32;

/** Fewer estimated bits than a 128-bit key leaves within reach of a search. */
export const EXPORT_KEY_MIN_BITS = 128;

/** How to get a key that passes, for every message that refuses one. */
export const EXPORT_KEY_GENERATE_HINT = 'generate one with `npm run admin -- export-key generate`';

/**
 * Shannon entropy in bits per symbol of the symbols' own frequencies, with the
 * Miller–Madow correction: the plug-in estimate is biased low on short strings, and
 * without the correction good random keys of 32 characters were sometimes refused.
 */
function entropyPerSymbol(symbols: readonly number[]): number {
  if (symbols.length === 0) return 0;
  const counts = new Map<number, number>();
  for (const s of symbols) counts.set(s, (counts.get(s) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) {
    const p = c / symbols.length;
    h -= p * Math.log2(p);
  }
  return h + (counts.size - 1) / (2 * symbols.length * Math.LN2);
}

/**
 * A lower estimate of the key's entropy: its length times the lesser of the entropy of
 * its characters and that of the steps between successive characters. Repeated
 * characters score nothing on the first, runs (`abcdef…`, `0123…`) and repeated blocks
 * nothing or little on the second. It cannot see a dictionary phrase, which is why the
 * generated key is the one to use; it refused none of 200,000 keys each of 32 random
 * bytes in base64 or base64url or 64 hex digits.
 */
export function estimatedKeyBits(key: string): number {
  const codes = Array.from(key, (c) => c.codePointAt(0)!);
  const steps = codes.slice(1).map((c, i) => c - codes[i]!);
  return codes.length * Math.min(entropyPerSymbol(codes), entropyPerSymbol(steps));
}

/** Why the key is refused, or null. Never includes the key: the message goes to logs. */
export function exportKeyProblem(key: string): string | null {
  if (key.length < EXPORT_KEY_MIN_LENGTH) {
    return `must be at least ${EXPORT_KEY_MIN_LENGTH} characters (it is ${key.length}); ${EXPORT_KEY_GENERATE_HINT}`;
  }
  const bits = estimatedKeyBits(key);
  if (bits < EXPORT_KEY_MIN_BITS) {
    return `is too predictable to key the pseudonyms (about ${Math.floor(bits)} bits estimated from its repeated characters and runs, ` +
      `${EXPORT_KEY_MIN_BITS} needed); ${EXPORT_KEY_GENERATE_HINT}`;
  }
  return null;
}

/** 256 random bits, base64url: 43 characters that pass exportKeyProblem with a wide margin. */
export function generateExportKey(): string {
  return crypto.randomBytes(32).toString('base64url');
}
