// A tolerant HL7 v2 parser. Fields are kept raw and split into components only when
// read, so an observation nobody reads (a base64 PDF) costs one split of its segment.
import { unescapeHl7, type Encoding } from './escape.ts';

export type { Encoding } from './escape.ts';

export interface Segment {
  /** Segment id, e.g. `OBX`. */
  readonly id: string;
  /** Raw (still escaped) fields; `fields[n]` is field n, `fields[0]` the id. For MSH, `fields[1]` is the field separator. */
  readonly fields: readonly string[];
  /** 1-based line of the message where the segment starts, for problem reports. */
  readonly line: number;
}

export interface Hl7Message {
  readonly encoding: Encoding;
  readonly segments: readonly Segment[];
  /** Things the parser tolerated; none of them stops the message from being used. */
  readonly problems: readonly string[];
}

export type Hl7ParseErrorCode = 'empty' | 'not_hl7' | 'bad_encoding';

export interface Hl7ParseError {
  readonly code: Hl7ParseErrorCode;
  readonly message: string;
}

export type Hl7ParseResult =
  | { readonly ok: true; readonly message: Hl7Message }
  | { readonly ok: false; readonly error: Hl7ParseError };

const VT = '\u000b';
const FS = '\u001c';
const SEGMENT_ID = /^[A-Z][A-Z0-9]{2}$/;

function fail(code: Hl7ParseErrorCode, message: string): Hl7ParseResult {
  return { ok: false, error: { code, message } };
}

/**
 * Bytes are UTF-8 unless MSH-18 names an ISO 8859 character set; a sender that declares
 * nothing and sends Latin-1 gets U+FFFD for its accents, never a failure.
 */
export function decodeHl7Bytes(bytes: Uint8Array): string {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 1024));
  const firstLine = head.split(/[\r\n]/, 1)[0] ?? '';
  const latin1 = /\|\s*8859\/1\s*(\||$)/.test(firstLine) || /\|\s*ISO[-_ ]?8859[-_ ]?1\b/i.test(firstLine);
  return new TextDecoder(latin1 ? 'latin1' : 'utf-8').decode(bytes);
}

function stripFraming(text: string): string {
  let start = 0;
  let end = text.length;
  // BOM, MLLP start block and leading whitespace.
  while (start < end && /[\s\uFEFF\u000b]/.test(text[start] ?? '')) start++;
  // MLLP end block, trailing whitespace and blank lines.
  while (end > start && /[\s\u001c\u0000]/.test(text[end - 1] ?? '')) end--;
  return text.slice(start, end);
}

function readEncoding(text: string): Encoding | string {
  const field = text[3];
  if (field === undefined) return 'the MSH segment ends before its field separator (MSH-1)';
  if (/[A-Za-z0-9\s]/.test(field) || field === VT || field === FS) {
    return `MSH-1 field separator ${JSON.stringify(field)} is not a delimiter character`;
  }
  // MSH-2 runs to the next field separator, or to the end of the line when MSH stops there.
  const head = text.slice(4, 16);
  const lineEnd = head.search(/[\r\n]/);
  const firstLine = lineEnd < 0 ? head : head.slice(0, lineEnd);
  const sepAt = firstLine.indexOf(field);
  const chars = sepAt < 0 ? firstLine : firstLine.slice(0, sepAt);
  if (chars.length < 1 || chars.length > 5) {
    return `MSH-2 encoding characters ${JSON.stringify(chars)} must be 1 to 5 characters (normally ^~\\&)`;
  }
  const all = field + chars;
  for (const ch of all) {
    if (/[A-Za-z0-9\s]/.test(ch) || ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) > 0x7e) {
      return `MSH-2 encoding characters ${JSON.stringify(chars)} contain a character that cannot be a delimiter`;
    }
  }
  if (new Set(all).size !== all.length) return `MSH-1/MSH-2 delimiters ${JSON.stringify(all)} are not distinct`;
  return {
    field,
    component: chars[0] ?? '',
    repetition: chars[1] ?? '',
    escape: chars[2] ?? '',
    subcomponent: chars[3] ?? '',
    truncation: chars[4] ?? '',
  };
}

// A loop, not /\s+$/: that regex backtracks quadratically on long runs of inner spaces.
function trimEnd(line: string): string {
  let end = line.length;
  while (end > 0) {
    const c = line.charCodeAt(end - 1);
    if (c !== 0x20 && c !== 0x09 && c !== 0x00) break;
    end--;
  }
  return end === line.length ? line : line.slice(0, end);
}

function isSegmentStart(line: string, field: string): boolean {
  return SEGMENT_ID.test(line.slice(0, 3)) && (line.length === 3 || line[3] === field);
}

function splitSegment(text: string, enc: Encoding, line: number): Segment {
  const fields = text.split(enc.field);
  const id = fields[0] ?? '';
  if (id === 'MSH' || id === 'FHS' || id === 'BHS') fields.splice(1, 0, enc.field);
  return { id, fields, line };
}

/** Parse one HL7 v2 message. Never throws: input that is not HL7 gives an error value. */
export function parseHl7(input: string | Uint8Array): Hl7ParseResult {
  const raw = typeof input === 'string' ? input : decodeHl7Bytes(input);
  const text = stripFraming(raw);
  if (text.length === 0) return fail('empty', 'the message is empty');
  if (!text.startsWith('MSH')) {
    const looksBinary = /[\u0000-\u0008\u000e-\u001f]/.test(text.slice(0, 512));
    return fail('not_hl7', looksBinary
      ? 'not an HL7 v2 message: the body is binary data, not text starting with an MSH segment'
      : 'not an HL7 v2 message: it must start with an MSH segment');
  }
  const enc = readEncoding(text);
  if (typeof enc === 'string') return fail('bad_encoding', `not a usable HL7 v2 message: ${enc}`);

  const problems: string[] = [];
  const segments: Segment[] = [];
  const lines = text.split(/\r\n|\r|\n/);
  let current: string[] | null = null;
  let currentLine = 0;
  let joined = 0;
  const flush = (): void => {
    if (current) segments.push(splitSegment(current.join('\n'), enc, currentLine));
    current = null;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = trimEnd(lines[i] ?? '');
    if (line.trim() === '') continue;
    if (isSegmentStart(line, enc.field)) {
      if (line.startsWith('MSH') && segments.length + (current ? 1 : 0) > 0) {
        problems.push(`line ${i + 1}: a second MSH segment starts another message; only the first message was read`);
        break;
      }
      flush();
      current = [line];
      currentLine = i + 1;
    } else if (current) {
      // Senders that wrap long values (base64) with bare line breaks: the line belongs to the segment above.
      current.push(line);
      joined++;
    }
  }
  flush();
  if (joined > 0) problems.push(`${joined} line(s) that do not start a segment were joined to the segment above`);
  return { ok: true, message: { encoding: enc, segments, problems } };
}

/** Raw text of field `n` (1-based), still escaped; empty when absent. */
export function rawField(seg: Segment, n: number): string {
  return seg.fields[n] ?? '';
}

function split(text: string, sep: string): string[] {
  return sep === '' ? [text] : text.split(sep);
}

/** Repetitions of a raw field. */
export function repetitions(rawValue: string, enc: Encoding): string[] {
  return split(rawValue, enc.repetition);
}

/** Raw (still escaped) components of one raw repetition. */
export function components(rawRepetition: string, enc: Encoding): string[] {
  return split(rawRepetition, enc.component);
}

/**
 * One leaf value, unescaped. Positions are 1-based as HL7 writes them (OBX-3.2 is
 * `value(seg, enc, 3, 2)`); the first repetition unless told otherwise.
 */
export function value(seg: Segment, enc: Encoding, field: number, component = 1, subcomponent = 1, repetition = 1): string {
  if (seg.id === 'MSH' && (field === 1 || field === 2)) return rawField(seg, field);
  const rep = repetitions(rawField(seg, field), enc)[repetition - 1] ?? '';
  const comp = components(rep, enc)[component - 1] ?? '';
  const sub = split(comp, enc.subcomponent)[subcomponent - 1] ?? '';
  return unescapeHl7(sub, enc);
}

/** Whole field with escapes decoded but delimiters kept, for display in problem reports. */
export function readable(seg: Segment, enc: Encoding, field: number): string {
  return unescapeHl7(rawField(seg, field), enc);
}

/** The segment as it was received (delimiters included), for quarantine. */
export function segmentText(seg: Segment, enc: Encoding): string {
  if (seg.id === 'MSH' || seg.id === 'FHS' || seg.id === 'BHS') {
    return [seg.fields[0], ...seg.fields.slice(2)].join(enc.field);
  }
  return seg.fields.join(enc.field);
}
