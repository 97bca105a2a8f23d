// HL7 v2 escape sequences (v2.5 chapter 2.7). Decoding is one left-to-right pass, so a
// 165 KB value full of `\X000d\` costs linear time.

/** The delimiters of one message, read from MSH-1 and MSH-2. Empty when the sender omitted it. */
export interface Encoding {
  readonly field: string;
  readonly component: string;
  readonly repetition: string;
  readonly escape: string;
  readonly subcomponent: string;
  /** v2.7 truncation character; empty before v2.7. */
  readonly truncation: string;
}

export const DEFAULT_ENCODING: Encoding = Object.freeze({
  field: '|',
  component: '^',
  repetition: '~',
  escape: '\\',
  subcomponent: '&',
  truncation: '',
});

/** MSH-2 as it is written in a message with this encoding. */
export function encodingCharacters(enc: Encoding): string {
  return enc.component + enc.repetition + enc.escape + enc.subcomponent + enc.truncation;
}

const utf8 = new TextDecoder('utf-8');

function decodeHex(hex: string): string | undefined {
  if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9A-Fa-f]+$/.test(hex)) return undefined;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return utf8.decode(bytes);
}

function decodeSequence(body: string, enc: Encoding): string | undefined {
  switch (body) {
    case 'F': return enc.field;
    case 'S': return enc.component;
    case 'T': return enc.subcomponent;
    case 'R': return enc.repetition;
    case 'E': return enc.escape;
    case 'P': return enc.truncation || undefined;
    // Formatting hints of FT/TX text; they carry no data.
    case 'H': case 'N': return '';
    case '.br': return '\n';
  }
  if (body.startsWith('X')) return decodeHex(body.slice(1));
  return undefined;
}

/**
 * Replace escape sequences by the characters they stand for. An unknown or unterminated
 * sequence is kept literally, so nothing the sender wrote is lost.
 */
export function unescapeHl7(text: string, enc: Encoding): string {
  const esc = enc.escape;
  if (esc === '' || !text.includes(esc)) return text;
  let out = '';
  let from = 0;
  for (;;) {
    const start = text.indexOf(esc, from);
    if (start < 0) break;
    const end = text.indexOf(esc, start + 1);
    if (end < 0) break;
    const decoded = decodeSequence(text.slice(start + 1, end), enc);
    if (decoded === undefined) {
      // Keep the opening escape literally and resume at the closing one: it may open a valid sequence.
      out += text.slice(from, end);
      from = end;
      continue;
    }
    out += text.slice(from, start) + decoded;
    from = end + 1;
  }
  return out + text.slice(from);
}

/** Escape delimiters so that `text` travels as one leaf value under `enc`. */
export function escapeHl7(text: string, enc: Encoding): string {
  if (enc.escape === '') return text;
  const map = new Map<string, string>();
  map.set(enc.escape, 'E');
  if (enc.field) map.set(enc.field, 'F');
  if (enc.component) map.set(enc.component, 'S');
  if (enc.subcomponent) map.set(enc.subcomponent, 'T');
  if (enc.repetition) map.set(enc.repetition, 'R');
  if (enc.truncation) map.set(enc.truncation, 'P');
  let out = '';
  for (const ch of text) {
    const code = map.get(ch);
    if (code !== undefined) out += enc.escape + code + enc.escape;
    else if (ch === '\r' || ch === '\n') out += `${enc.escape}X${ch === '\r' ? '0D' : '0A'}${enc.escape}`;
    else out += ch;
  }
  return out;
}
