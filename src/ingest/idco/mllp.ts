// MLLP (HL7 Minimal Lower Layer Protocol) framing: <VT> message <FS><CR>. Pure byte
// handling; the socket belongs to the transport.
import { Buffer } from 'node:buffer';

export const MLLP_START = 0x0b;
export const MLLP_END = 0x1c;
export const MLLP_CR = 0x0d;

/** Default cap on one message: IDCO messages may embed PDF reports of a few megabytes. */
export const DEFAULT_MLLP_MAX_BYTES = 16 * 1024 * 1024;

export type MllpErrorCode = 'too_large' | 'incomplete';

export type MllpEvent =
  | { readonly type: 'message'; readonly data: Buffer }
  | { readonly type: 'error'; readonly code: MllpErrorCode; readonly message: string };

export interface MllpDecoderOptions {
  /** Largest message body in bytes; a longer one is dropped with a `too_large` error. */
  readonly maxMessageBytes?: number;
}

/** Wrap one message in an MLLP frame. */
export function encodeMllp(message: string | Uint8Array): Buffer {
  const body = typeof message === 'string' ? Buffer.from(message, 'utf8') : message;
  const out = Buffer.allocUnsafe(body.length + 3);
  out[0] = MLLP_START;
  out.set(body, 1);
  out[body.length + 1] = MLLP_END;
  out[body.length + 2] = MLLP_CR;
  return out;
}

type State = 'idle' | 'message' | 'discard';

/**
 * Incremental decoder: push socket chunks, get back the complete messages (and framing
 * errors) they finish. Bytes outside a frame are skipped and counted in `junkBytes`; a
 * start block inside an unfinished frame abandons that frame with an `incomplete` error,
 * so one bad frame never costs the next one. Work is linear in the bytes pushed.
 */
export class MllpDecoder {
  readonly maxMessageBytes: number;
  private state: State = 'idle';
  private parts: Buffer[] = [];
  private size = 0;
  private swallowCr = false;
  private junk = 0;

  constructor(options: MllpDecoderOptions = {}) {
    const max = options.maxMessageBytes ?? DEFAULT_MLLP_MAX_BYTES;
    this.maxMessageBytes = Number.isFinite(max) && max > 0 ? Math.floor(max) : DEFAULT_MLLP_MAX_BYTES;
  }

  /** Bytes seen outside any frame (blank lines after a frame excepted). */
  get junkBytes(): number {
    return this.junk;
  }

  /** True while a frame has started and not ended. */
  get inFrame(): boolean {
    return this.state !== 'idle';
  }

  push(chunk: Uint8Array): MllpEvent[] {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const events: MllpEvent[] = [];
    let pos = 0;
    while (pos < buf.length) {
      if (this.state === 'idle') {
        if (this.swallowCr) {
          this.swallowCr = false;
          if (buf[pos] === MLLP_CR) { pos++; continue; }
        }
        const start = buf.indexOf(MLLP_START, pos);
        const stop = start < 0 ? buf.length : start;
        for (let i = pos; i < stop; i++) {
          const b = buf[i];
          if (b !== 0x0d && b !== 0x0a && b !== 0x20 && b !== 0x09) this.junk++;
        }
        if (start < 0) break;
        this.begin();
        pos = start + 1;
        continue;
      }
      const end = buf.indexOf(MLLP_END, pos);
      const restart = buf.indexOf(MLLP_START, pos);
      const stop = end < 0 ? buf.length : end;
      if (restart >= 0 && restart < stop) {
        if (this.state === 'message') {
          events.push({ type: 'error', code: 'incomplete', message: 'a frame started before the previous one ended; the unfinished message was dropped' });
        }
        this.begin();
        pos = restart + 1;
        continue;
      }
      if (this.state === 'message') this.collect(buf.subarray(pos, stop), events);
      if (end < 0) break;
      if (this.state === 'message') events.push({ type: 'message', data: Buffer.concat(this.parts, this.size) });
      this.reset();
      this.swallowCr = true;
      pos = end + 1;
    }
    return events;
  }

  /** The peer closed: a frame still open is reported as incomplete. */
  end(): MllpEvent[] {
    const open = this.state === 'message';
    this.reset();
    return open ? [{ type: 'error', code: 'incomplete', message: 'the connection ended inside a frame' }] : [];
  }

  private begin(): void {
    this.reset();
    this.state = 'message';
  }

  private reset(): void {
    this.state = 'idle';
    this.parts = [];
    this.size = 0;
  }

  private collect(bytes: Buffer, events: MllpEvent[]): void {
    if (bytes.length === 0) return;
    if (this.size + bytes.length > this.maxMessageBytes) {
      events.push({ type: 'error', code: 'too_large', message: `message larger than ${this.maxMessageBytes} bytes was dropped` });
      this.parts = [];
      this.size = 0;
      this.state = 'discard';
      return;
    }
    // A copy: the transport may reuse its chunk buffers.
    this.parts.push(Buffer.from(bytes));
    this.size += bytes.length;
  }
}
