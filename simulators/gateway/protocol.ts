// Messages of ingest protocol v1 as the gateway sees them, and a tolerant parser for replies.
import type { SimReading } from '../types.ts';

export interface ReadingsMessage { readonly type: 'readings'; readonly id: string; readonly readings: readonly SimReading[] }
export interface StatusRequest { readonly type: 'status'; readonly id: string; readonly devices: readonly string[] }

export interface AckMessage {
  readonly type: 'ack';
  readonly id: string;
  readonly accepted: number;
  readonly duplicates: number;
  readonly rejected: ReadonlyArray<{ readonly index: number; readonly code: string; readonly message?: string }>;
}
export interface ErrorMessage {
  readonly type: 'error';
  readonly id: string | null;
  readonly code: string;
  readonly message: string;
  readonly retryAfterMs: number | null;
}
export interface StatusReply {
  readonly type: 'status';
  readonly id: string;
  readonly devices: Readonly<Record<string, { readonly lastSeq: number } | null>>;
}
export type ServerMessage = AckMessage | ErrorMessage | StatusReply;

/** Message-level error codes after which the same batch may succeed if sent again. */
export const RETRYABLE = new Set(['unavailable', 'rate_limited']);

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const num = (x: unknown): number => (typeof x === 'number' && Number.isFinite(x) ? x : 0);

/** Returns null for anything that is not a reply this client understands. */
export function parseServerMessage(text: string): ServerMessage | null {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObj(m)) return null;
  const id = typeof m.id === 'string' ? m.id : null;
  if (m.type === 'ack' && id !== null) {
    const rejected = Array.isArray(m.rejected)
      ? m.rejected.filter(isObj).map((r) => ({ index: num(r.index), code: String(r.code ?? 'unknown'), message: String(r.message ?? '') }))
      : [];
    return { type: 'ack', id, accepted: num(m.accepted), duplicates: num(m.duplicates), rejected };
  }
  if (m.type === 'error') {
    const retry = typeof m.retryAfterMs === 'number' && m.retryAfterMs >= 0 ? m.retryAfterMs : null;
    return { type: 'error', id, code: String(m.code ?? 'unknown'), message: String(m.message ?? ''), retryAfterMs: retry };
  }
  if (m.type === 'status' && id !== null && isObj(m.devices)) {
    const devices: Record<string, { lastSeq: number } | null> = {};
    for (const [d, v] of Object.entries(m.devices)) {
      devices[d] = isObj(v) && typeof v.lastSeq === 'number' ? { lastSeq: v.lastSeq } : null;
    }
    return { type: 'status', id, devices };
  }
  return null;
}
