// HL7 v2 DTM / TS values: YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ].

export interface Hl7Time {
  /** Epoch milliseconds. */
  readonly ms: number;
  /** Offset from UTC in minutes that was applied: the message's own, or the default. */
  readonly offsetMinutes: number;
  /** True when the value carried its own `+/-ZZZZ`. */
  readonly explicitOffset: boolean;
}

const DTM = /^(\d{4})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:\.(\d{1,4}))?)?)?)?)?)?(?:([+-])(\d{2})(\d{2}))?$/;

/** Largest offset that exists on Earth (UTC+14) plus a margin for odd senders. */
const MAX_OFFSET_MINUTES = 15 * 60;

/**
 * Parse `+HHMM` / `-HHMM` into minutes east of UTC; undefined when malformed.
 */
export function parseOffset(text: string): number | undefined {
  const m = /^([+-])(\d{2})(\d{2})$/.exec(text.trim());
  if (!m) return undefined;
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  if (Number(m[3]) > 59 || minutes > MAX_OFFSET_MINUTES) return undefined;
  return m[1] === '-' ? -minutes : minutes;
}

/**
 * Parse an HL7 date-time. A value without an offset is read in `defaultOffsetMinutes`
 * (HL7 says such a time is the sender's local time, which only the caller can know; 0 means
 * UTC). Missing precision fills in as the start of the period (`2010` is 2010-01-01T00:00).
 * Returns undefined for anything that is not a real calendar instant.
 */
export function parseHl7Time(text: string, defaultOffsetMinutes = 0): Hl7Time | undefined {
  const m = DTM.exec(text.trim());
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = m[2] === undefined ? 1 : Number(m[2]);
  const day = m[3] === undefined ? 1 : Number(m[3]);
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const millis = m[7] === undefined ? 0 : Math.round(Number(`0.${m[7]}`) * 1000);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;

  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0-99 as 1900-1999.
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  if (d.getUTCMonth() !== month - 1) return undefined; // 31 April, 29 February of a common year
  d.setUTCHours(hour, minute, second, millis);

  let offset = defaultOffsetMinutes;
  const explicitOffset = m[8] !== undefined;
  if (explicitOffset) {
    const parsed = parseOffset(`${m[8]}${m[9]}${m[10]}`);
    if (parsed === undefined) return undefined;
    offset = parsed;
  }
  const ms = d.getTime() - offset * 60_000;
  if (!Number.isFinite(ms)) return undefined;
  return { ms, offsetMinutes: offset, explicitOffset };
}

/** RFC 3339 in UTC (`2010-03-22T10:10:07Z`, milliseconds only when present); undefined outside years 0000-9999. */
export function toRfc3339(ms: number): string | undefined {
  if (!Number.isFinite(ms)) return undefined;
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  if (Number.isNaN(year) || year < 0 || year > 9999) return undefined;
  return d.toISOString().replace('.000Z', 'Z');
}

/** An HL7 DTM in UTC with an explicit `+0000`, to the second: what replies carry in MSH-7. */
export function formatHl7Time(ms: number): string {
  let d = new Date(ms);
  if (Number.isNaN(d.getTime())) d = new Date(0);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}`
    + `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}+0000`;
}
