// The bytes of the export's lines, written in place (LineBuffer), and its times written
// from tables rather than a Date per row (Clock): the byte level of encode.ts. Pure.
import { DAY_MS } from './deidentify.ts';

const COLON = 58, DOT = 46;

/**
 * The bytes of a batch of lines, written in place: no string per line or per cell. A new
 * buffer per batch (`take`), so a batch handed to a slow consumer is never overwritten.
 */
export class LineBuffer {
  private buf: Buffer;
  private pos = 0;

  constructor(private readonly initial: number) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  get length(): number {
    return this.pos;
  }

  /** Room for `n` more bytes. */
  reserve(n: number): Buffer {
    if (this.pos + n > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
      this.buf.copy(bigger, 0, 0, this.pos);
      this.buf = bigger;
    }
    return this.buf;
  }

  put(b: Uint8Array): void {
    const n = b.length;
    const buf = this.reserve(n);
    let p = this.pos;
    if (n < 32) for (let i = 0; i < n; i++) buf[p++] = b[i]!;
    else {
      buf.set(b, p);
      p += n;
    }
    this.pos = p;
  }

  /** A number as text (ASCII): JSON and csvCell write finite numbers this way. */
  putNumber(v: number): void {
    if (v >= 0 && v < 1e9 && Number.isInteger(v)) {
      const buf = this.reserve(9);
      let digits = 1;
      for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
      let p = this.pos + digits;
      this.pos = p;
      let x = v;
      do {
        buf[--p] = 48 + (x % 10);
        x = Math.floor(x / 10);
      } while (x > 0);
    } else {
      const text = String(v);
      this.reserve(text.length);
      this.pos += this.buf.write(text, this.pos, 'latin1');
    }
  }

  /** `prefix`HH:MM:SS.mmm`close`: the time of day of an RFC 3339 time, in one go. */
  putTime(prefix: Uint8Array, h: number, m: number, sec: number, ms: number, close: Uint8Array): void {
    const buf = this.reserve(prefix.length + 12 + close.length);
    let p = this.pos;
    for (let i = 0; i < prefix.length; i++) buf[p++] = prefix[i]!;
    buf[p] = 48 + Math.floor(h / 10);
    buf[p + 1] = 48 + (h % 10);
    buf[p + 2] = COLON;
    buf[p + 3] = 48 + Math.floor(m / 10);
    buf[p + 4] = 48 + (m % 10);
    buf[p + 5] = COLON;
    buf[p + 6] = 48 + Math.floor(sec / 10);
    buf[p + 7] = 48 + (sec % 10);
    buf[p + 8] = DOT;
    buf[p + 9] = 48 + Math.floor(ms / 100);
    buf[p + 10] = 48 + (Math.floor(ms / 10) % 10);
    buf[p + 11] = 48 + (ms % 10);
    p += 12;
    for (let i = 0; i < close.length; i++) buf[p++] = close[i]!;
    this.pos = p;
  }

  /** The bytes written so far; the buffer starts afresh. */
  take(): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(this.initial);
    this.pos = 0;
    return out;
  }
}

// Times: RFC 3339 with milliseconds in UTC, as Date#toISOString writes them for years 0000..9999.
const FAST_MIN = -62_167_219_200_000; // 0000-01-01T00:00:00.000Z
const FAST_MAX = 253_402_300_800_000; // 10000-01-01T00:00:00.000Z

/** Writes times of one subject, which arrive in order: the date part is worked out once per day. */
export class Clock {
  private day = NaN;
  /** The opening quote (NDJSON) and YYYY-MM-DDT of the current day, rewritten in place. */
  private readonly prefix: Uint8Array;
  private readonly close: Buffer;

  constructor(
    private readonly cell: (v: string) => Buffer,
    quote: string,
  ) {
    this.prefix = Buffer.from(`${quote}0000-00-00T`);
    this.close = Buffer.from(`Z${quote}`);
  }

  /** Writes the cell of `new Date(t).toISOString()`; the same errors for a time Date cannot hold. */
  write(t: number, out: LineBuffer): void {
    const ms = Math.trunc(t); // Date drops the fraction of a millisecond the same way
    if (!(ms >= FAST_MIN && ms < FAST_MAX)) {
      out.put(this.cell(new Date(t).toISOString()));
      return;
    }
    const day = Math.floor(ms / DAY_MS);
    if (day !== this.day) this.setDay(day);
    const inDay = ms - day * DAY_MS;
    const minute = Math.floor(inDay / 60_000);
    const inMinute = inDay - minute * 60_000;
    const second = Math.floor(inMinute / 1000);
    out.putTime(this.prefix, Math.floor(minute / 60), minute % 60, second, inMinute - second * 1000, this.close);
  }

  /** The civil date of a day number (days since 1970-01-01), proleptic Gregorian like Date. */
  private setDay(day: number): void {
    this.day = day;
    const z = day + 719_468;
    const era = Math.floor(z / 146_097);
    const doe = z - era * 146_097;
    const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
    const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
    const mp = Math.floor((5 * doy + 2) / 153);
    const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
    const m = mp < 10 ? mp + 3 : mp - 9;
    const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
    const b = this.prefix;
    const o = b.length - 11;
    b[o] = 48 + Math.floor(y / 1000);
    b[o + 1] = 48 + (Math.floor(y / 100) % 10);
    b[o + 2] = 48 + (Math.floor(y / 10) % 10);
    b[o + 3] = 48 + (y % 10);
    b[o + 5] = 48 + Math.floor(m / 10);
    b[o + 6] = 48 + (m % 10);
    b[o + 8] = 48 + Math.floor(d / 10);
    b[o + 9] = 48 + (d % 10);
  }
}
