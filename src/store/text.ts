/**
 * PostgreSQL text and jsonb reject NUL and lone surrogates; hostile input carries
 * both. Replace them so a quarantine row can always be written.
 */
export function pgSafeText(s: string): string {
  return s.replace(/\u0000/g, '\uFFFD').toWellFormed();
}

/** JSON text of any value, safe for a jsonb column. */
export function pgSafeJson(value: unknown): string {
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'string' ? pgSafeText(v) : v)) ?? 'null';
  // Object keys are not passed through the replacer; fix any escaped NUL left in them.
  return text.includes('\\u0000') ? text.replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1\\ufffd') : text;
}
