// A device's expected cadence, for connectivity_loss: devices transmit daily, weekly or monthly,
// and a silence means something only measured against the device's own schedule. The engine
// keeps the recent intervals between its transmissions (pure, in event time, in the snapshotted
// state); the connectivity check turns them, or a configured cadence, into a silence limit.
import type { ConnectivityConfig, EngineConfig } from './config.ts';
import type { CadenceState, DeviceState, SilenceEpisode } from './types.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** The longest expected interval, configured or learnt: 45 days. */
export const MAX_EXPECTED_HOURS = 24 * 45;

export function newCadence(): CadenceState {
  return { gaps: [] };
}

const keep = (c: ConnectivityConfig) => Math.max(1, Math.floor(c.cadenceIntervals));

/**
 * Takes in a reading's event time, before the state's `lastAt` moves to it. A reading at least
 * `transmissionGapHours` after the previous one starts a new transmission, and that gap is one
 * interval; the readings of one upload (a batch, an IDCO message, a night's summaries sent
 * within minutes) are one transmission.
 */
export function noteTransmission(state: DeviceState, at: number, config: EngineConfig): void {
  const c = config.connectivity;
  if (state.lastAt === null || at - state.lastAt < c.transmissionGapHours * HOUR_MS) return;
  // Absent in snapshots saved before it existed: learning starts from their next reading.
  const cadence = (state.cadence ??= newCadence());
  cadence.gaps.push(at - state.lastAt);
  const n = keep(c);
  if (cadence.gaps.length > n) cadence.gaps.splice(0, cadence.gaps.length - n);
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * The device's typical interval between transmissions, hours: the median of its last
 * `cadenceIntervals` intervals, to the nearest whole day (at least one, at most 45), so that a
 * nightly upload's drift and summer time keep a daily device daily. Null while fewer than
 * `cadenceMinIntervals` are known.
 */
export function typicalIntervalHours(cadence: CadenceState | undefined, c: ConnectivityConfig): number | null {
  const gaps = (cadence?.gaps ?? []).slice(-keep(c));
  if (gaps.length === 0 || gaps.length < c.cadenceMinIntervals) return null;
  const days = Math.max(1, Math.round(median(gaps) / DAY_MS));
  return Math.min(days * 24, MAX_EXPECTED_HOURS);
}

export interface SilenceLimit {
  /** A device silent this long (event time) has lost its connection. */
  readonly hours: number;
  /** The expected interval the limit comes from; null when it is the floor, `silentHours`. */
  readonly expectedHours: number | null;
  readonly source: 'floor' | 'configured' | 'learnt';
}

/**
 * max(silentHours, cadenceFactor × expected interval), where the expected interval is the
 * configured `expectedHours` when set, else the learnt typical interval; the floor alone while
 * neither is known.
 */
export function silenceLimit(cadence: CadenceState | undefined, config: EngineConfig): SilenceLimit {
  const c = config.connectivity;
  const configured = c.expectedHours > 0;
  const expected = configured ? Math.min(c.expectedHours, MAX_EXPECTED_HOURS) : typicalIntervalHours(cadence, c);
  const hours = expected === null ? 0 : c.cadenceFactor * expected;
  if (expected === null || hours <= c.silentHours) return { hours: c.silentHours, expectedHours: null, source: 'floor' };
  return { hours, expectedHours: expected, source: configured ? 'configured' : 'learnt' };
}

/**
 * The silence a reading at (`at`, `seq`) ends, before the state takes it in: the gap since the
 * device's previous reading, when it is at least the device's silence limit as it stood before
 * the gap (the limit the connectivity check held it to meanwhile). Null for the first reading
 * and for shorter gaps; the limit is only computed for a gap past the floor.
 */
export function endedSilence(state: DeviceState, at: number, seq: number, config: EngineConfig): SilenceEpisode | null {
  if (state.lastAt === null || state.lastSeq === null) return null;
  const gap = at - state.lastAt;
  if (gap < config.connectivity.silentHours * HOUR_MS) return null;
  const limit = silenceLimit(state.cadence, config);
  if (gap < limit.hours * HOUR_MS) return null;
  return { fromAt: state.lastAt, fromSeq: state.lastSeq, toAt: at, toSeq: seq, limitHours: limit.hours };
}

/** A stored state's `cadence` (a snapshot's JSON), or undefined when it is absent or not sound. */
export function readCadence(c: unknown): CadenceState | undefined {
  const gaps = typeof c === 'object' && c !== null ? (c as { gaps?: unknown }).gaps : undefined;
  if (!Array.isArray(gaps) || !gaps.every((g) => typeof g === 'number' && Number.isFinite(g) && g > 0)) return undefined;
  return { gaps: gaps as number[] };
}
