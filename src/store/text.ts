/**
 * PostgreSQL text and jsonb reject NUL and lone surrogates; hostile input carries
 * both. Replace them so a quarantine row can always be written.
 */
export function pgSafeText(s: string): string {
  return s.replace(/\u0000/g, '\uFFFD').toWellFormed();
}

/**
 * Deeper than this a value is not kept: hostile readings nest arrays thousands deep, and
 * JSON.stringify with a replacer overflows the stack near 3,000 levels (failing the whole
 * group commit the reading was part of).
 */
export const MAX_JSON_DEPTH = 256;
const TOO_DEEP = Symbol('too deep');

function clean(v: unknown, depth: number): unknown {
  if (typeof v === 'string') return pgSafeText(v);
  if (typeof v !== 'object' || v === null) return v;
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return clean((v as { toJSON(): unknown }).toJSON(), depth);
  if (depth >= MAX_JSON_DEPTH) throw TOO_DEEP;
  if (Array.isArray(v)) return v.map((x) => clean(x, depth + 1));
  // Null prototype: a key `__proto__` stays a key instead of setting the prototype.
  const out = Object.create(null) as Record<string, unknown>;
  for (const [k, x] of Object.entries(v)) out[pgSafeText(k)] = clean(x, depth + 1);
  return out;
}

/** JSON text of any value, safe for a jsonb column: no NUL or lone surrogate in keys or strings, bounded depth. */
export function pgSafeJson(value: unknown): string {
  try {
    return JSON.stringify(clean(value, 0)) ?? 'null';
  } catch (err) {
    if (err !== TOO_DEEP) throw err;
    return JSON.stringify({ unstorable: `nested deeper than ${MAX_JSON_DEPTH} levels; not kept` });
  }
}
