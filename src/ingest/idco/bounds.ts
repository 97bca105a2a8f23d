// Limits checked on a received HL7 message's bytes before any parsing: one linear pass that
// counts segments and stops at the limit, so a message of 240,000 segments costs a byte scan,
// not a parse. A segment starts a line (after CR or LF) with a three-character id and the
// field separator; lines that do not (the wrapped base64 of an embedded PDF) continue the
// segment before them, as the parser reads them.
import { readHeader, type MessageHeader } from './header.ts';
import { parseHl7 } from './hl7.ts';

const isUpper = (b: number): boolean => b >= 0x41 && b <= 0x5a;
const isIdChar = (b: number): boolean => isUpper(b) || (b >= 0x30 && b <= 0x39);

/**
 * Segments in `bytes`, counting at most `limit + 1` (then the scan stops): more than `limit`
 * means over. The field separator is the byte after the first `MSH`, `|` when there is none.
 */
export function countSegments(bytes: Uint8Array, limit: number): number {
  const msh = findMsh(bytes);
  const sep = msh >= 0 && msh + 3 < bytes.length ? (bytes[msh + 3] as number) : 0x7c;
  let count = 0;
  let lineStart = true;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b === 0x0d || b === 0x0a) {
      lineStart = true;
      continue;
    }
    if (lineStart && i + 3 < bytes.length && isUpper(b) && isIdChar(bytes[i + 1] as number) &&
      isIdChar(bytes[i + 2] as number) && bytes[i + 3] === sep) {
      if (++count > limit) return count;
    }
    lineStart = b === 0x0b || b === 0xef || b === 0xbb || b === 0xbf ? lineStart : false;
  }
  return count;
}

/** Offset of the first `MSH` in the first kilobyte, or -1. */
function findMsh(bytes: Uint8Array): number {
  const end = Math.min(bytes.length - 2, 1024);
  for (let i = 0; i < end; i++) if (bytes[i] === 0x4d && bytes[i + 1] === 0x53 && bytes[i + 2] === 0x48) return i;
  return -1;
}

/**
 * The header of a message refused before parsing, read from its first line only (at most
 * 4 KiB), so the refusal still names the message it answers (MSA-2); null when unreadable.
 */
export function headerOnly(bytes: Uint8Array): MessageHeader | null {
  const limit = Math.min(bytes.length, 4096);
  let end = 0;
  while (end < limit && bytes[end] !== 0x0d && bytes[end] !== 0x0a) end++;
  const parsed = parseHl7(bytes.subarray(0, end));
  return parsed.ok ? (readHeader(parsed.message) ?? null) : null;
}
