// Ingest protocol v1, the pure part: parse a gateway's message and validate each
// reading. No IO and no clock: the caller passes `now`.
import { lookupMetric } from '../domain/vocabulary.ts';
import type { ReadingRejectCode, Rejection } from '../domain/types.ts';

export const MAX_SEQ = Number.MAX_SAFE_INTEGER; // 2^53 - 1
const DEVICE_RE = /^[A-Za-z0-9._:-]{1,64}$/;
// RFC 3339 date-time with a mandatory offset.
const RFC3339_RE =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-](\d{2}):(\d{2}))$/;

export interface ReadingsMessage {
  readonly type: 'readings';
  readonly id: string;
  readonly readings: readonly unknown[];
}
export interface StatusMessage {
  readonly type: 'status';
  readonly id: string;
  readonly devices: readonly string[];
}
export type ClientMessage = ReadingsMessage | StatusMessage;

export interface MessageError {
  readonly type: 'error';
  readonly id: string | null;
  readonly code: 'bad_json' | 'bad_message' | 'unknown_type';
  readonly message: string;
}

export interface Limits {
  readonly maxBatchReadings: number;
}

/** A reading that passed validation, with its metric resolved to the vocabulary. */
export interface ValidReading {
  readonly index: number;
  readonly device: string;
  readonly seq: number;
  readonly at: number;
  readonly metricId: number;
  readonly metric: string;
  readonly value: number;
}

export function parseMessage(text: string, limits: Limits): ClientMessage | MessageError {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return msgError(null, 'bad_json', 'the frame is not valid JSON');
  }
  if (!isObject(data)) return msgError(null, 'bad_message', 'a message must be a JSON object');
  const id = validId(data.id) ? data.id : null;
  if (data.type === 'readings') return parseReadingsBody(data, limits, true);
  if (data.type === 'status') {
    if (id === null) return msgError(null, 'bad_message', '`id` must be a string of 1 to 128 characters');
    const devices = data.devices;
    if (!Array.isArray(devices) || devices.length === 0 || devices.length > limits.maxBatchReadings) {
      return msgError(id, 'bad_message', `\`devices\` must be an array of 1 to ${limits.maxBatchReadings} device ids`);
    }
    if (!devices.every((d): d is string => typeof d === 'string' && DEVICE_RE.test(d))) {
      return msgError(id, 'bad_message', 'every device id must be 1-64 characters of A-Z a-z 0-9 . _ : -');
    }
    return { type: 'status', id, devices };
  }
  if (typeof data.type !== 'string') return msgError(id, 'bad_message', 'a message needs a string `type`');
  return msgError(id, 'unknown_type', `unknown message type "${truncate(data.type, 40)}"`);
}

/**
 * The batch body shared by WebSocket (`id` required) and HTTP (`id` optional).
 */
export function parseReadingsBody(
  data: Record<string, unknown>,
  limits: Limits,
  idRequired: boolean,
): ReadingsMessage | MessageError {
  const id = validId(data.id) ? data.id : null;
  if (id === null && (idRequired || data.id !== undefined)) {
    return msgError(null, 'bad_message', '`id` must be a string of 1 to 128 characters');
  }
  const readings = data.readings;
  if (!Array.isArray(readings)) return msgError(id, 'bad_message', '`readings` must be an array');
  if (readings.length === 0 || readings.length > limits.maxBatchReadings) {
    return msgError(
      id,
      'bad_message',
      `a batch holds 1 to ${limits.maxBatchReadings} readings, this one has ${readings.length}`,
    );
  }
  return { type: 'readings', id: id ?? '', readings };
}

export interface ValidationContext {
  readonly now: number;
  readonly futureToleranceMs: number;
  /** Lowest seq accepted: 0 for gateways; readings the service derives itself (HL7 IDCO) use negative seqs. */
  readonly minSeq?: number;
}

export function validateReading(raw: unknown, index: number, ctx: ValidationContext): ValidReading | Rejection {
  if (!isObject(raw)) return reject(index, 'bad_reading', 'a reading must be a JSON object');
  const { device, seq, at, metric, value, unit } = raw;
  if (typeof device !== 'string' || !DEVICE_RE.test(device)) {
    return reject(index, 'bad_reading', '`device` must be 1-64 characters of A-Z a-z 0-9 . _ : -');
  }
  if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < (ctx.minSeq ?? 0) || seq > MAX_SEQ) {
    return reject(index, 'bad_reading', '`seq` must be an integer from 0 to 2^53-1');
  }
  if (typeof at !== 'string') return reject(index, 'bad_reading', '`at` must be an RFC 3339 time string');
  const atMs = parseRfc3339(at);
  if (atMs === null) {
    return reject(index, 'bad_reading', '`at` must be an RFC 3339 time with an offset, like 2026-03-04T02:00:00Z');
  }
  if (typeof metric !== 'string') return reject(index, 'bad_reading', '`metric` must be a string');
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return reject(index, 'bad_reading', '`value` must be a finite number');
  }
  if (unit !== undefined && typeof unit !== 'string') return reject(index, 'bad_reading', '`unit` must be a string');
  const def = lookupMetric(metric);
  if (!def) return reject(index, 'unknown_metric', `unknown metric "${truncate(metric, 64)}"`);
  if (unit !== undefined && unit !== def.unit) {
    return reject(index, 'unit_mismatch', `unit "${truncate(unit, 32)}" for ${def.name} must be "${def.unit}"`);
  }
  if (value < def.validMin || value > def.validMax) {
    return reject(
      index,
      'out_of_range',
      `value ${value} for ${def.name} is outside ${def.validMin}..${def.validMax} ${def.unit}`,
    );
  }
  if (atMs > ctx.now + ctx.futureToleranceMs) {
    return reject(index, 'future_timestamp', `\`at\` ${at} is more than ${ctx.futureToleranceMs / 3_600_000} h ahead of the service's clock`);
  }
  return { index, device, seq, at: atMs, metricId: def.id, metric: def.name, value };
}

export function isRejection(r: ValidReading | Rejection): r is Rejection {
  return 'code' in r;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** RFC 3339 to epoch ms (sub-millisecond digits are dropped), or null if malformed. */
export function parseRfc3339(s: string): number | null {
  const m = RFC3339_RE.exec(s);
  if (!m) return null;
  const [, y, mo, d, h, mi, se, frac, zone, oh, om] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (month < 1 || month > 12 || day < 1 || day > DAYS_IN_MONTH[month - 1]! + (leap ? 1 : 0)) return null;
  const hour = Number(h);
  const minute = Number(mi);
  // A leap second (:60) is read as :59.999 of that minute's last second.
  const second = Math.min(Number(se), 59);
  if (hour > 23 || minute > 59 || Number(se) > 60) return null;
  let offsetMin = 0;
  if (zone !== 'Z' && zone !== 'z') {
    if (Number(oh) > 23 || Number(om) > 59) return null;
    offsetMin = (Number(oh) * 60 + Number(om)) * (zone!.startsWith('-') ? -1 : 1);
  }
  const ms = frac ? Math.floor(Number(`0${frac}`) * 1000) : 0;
  return Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMin * 60_000;
}

function validId(v: unknown): v is string {
  return typeof v === 'string' && v.length >= 1 && v.length <= 128;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function reject(index: number, code: ReadingRejectCode, message: string): Rejection {
  return { index, code, message };
}

function msgError(id: string | null, code: MessageError['code'], message: string): MessageError {
  return { type: 'error', id, code, message };
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n)}…`;
}
