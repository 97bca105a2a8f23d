// The daily inputs of the heart-failure risk: each one's short average against the patient's
// own baseline, the median and spread (scaled MAD) of past short averages. Measuring the spread
// on the short averages themselves, not on raw days, counts the day-to-day wander real devices
// show (values drift together for days) instead of assuming independent nights. The baseline
// is recomputed every fourth monitoring day per input (sorting baselineDays values); each
// reading then costs O(1).
import type { HfConfig } from './config.ts';
import type { HfInput } from '../types.ts';

/** 1.4826 × MAD estimates a standard deviation when the values are roughly normal. */
const MAD_TO_SD = 1.4826;
const MAX_BASELINE_DAYS = 366;
const RECOMPUTE_EVERY = 4;
const SCRATCH = new Float64Array(MAX_BASELINE_DAYS);

/** Takes in one daily value of an input on monitoring day `day`; `learn` false keeps the baseline as it is. */
export function takeInput(
  inputs: Record<string, HfInput>, metric: string, value: number, day: number, hf: HfConfig, learn: boolean,
): void {
  const x = inputs[metric];
  if (!x) {
    inputs[metric] = {
      day, raw: value, prev: value, smooth: value, ring: [], pushed: 0, median: NaN, spread: NaN, n: 0,
    };
    return;
  }
  if (day === x.day) {
    // A second value of the same night (a resend, a second message) replaces the first.
    x.raw = value;
    x.smooth = x.prev + hf.inputAlpha * (value - x.prev);
    return;
  }
  // The previous day is complete: it joins the ring, and the baseline is recomputed (unless the
  // caller holds the baseline still through an episode).
  if (learn) push(x, x.smooth, hf);
  const stale = day - x.day > hf.inputStaleDays;
  x.day = day;
  x.raw = value;
  x.prev = stale ? value : x.smooth;
  x.smooth = x.prev + hf.inputAlpha * (value - x.prev);
}

function push(x: HfInput, value: number, hf: HfConfig): void {
  const size = Math.min(hf.baselineDays, MAX_BASELINE_DAYS);
  if (x.ring.length > size) x.ring.length = size;
  // Hundredths are below every input's resolution, and keep the snapshotted state small.
  x.ring[x.pushed % size] = Math.round(value * 100) / 100;
  x.pushed += 1;
  // The newest guardDays stay out, so the start of a decompensation is measured, not learned.
  const used = Math.min(x.pushed, size) - hf.guardDays;
  if (used < hf.minBaselineDays) {
    x.n = Math.max(0, used);
    return;
  }
  // A baseline of weeks moves little in a day: recomputed every few days once it is usable.
  if (x.n >= hf.minBaselineDays && x.pushed % RECOMPUTE_EVERY !== 0) return;
  // A scratch array sorted in place (no allocation per day, which the collector would pay for).
  const v = SCRATCH;
  for (let i = 0; i < used; i++) {
    const value = x.ring[(x.pushed - 1 - hf.guardDays - i + size * 2) % size] as number;
    let j = i - 1;
    while (j >= 0 && (v[j] as number) > value) {
      v[j + 1] = v[j] as number;
      j--;
    }
    v[j + 1] = value;
  }
  const m = used % 2 === 1 ? (v[(used - 1) / 2] as number) : ((v[used / 2 - 1] as number) + (v[used / 2] as number)) / 2;
  x.median = m;
  x.spread = MAD_TO_SD * medianDeviation(v, used, m);
  x.n = used;
}

/** The input's worsening in robust deviations (positive = worse), or NaN when it cannot count. */
export function deviation(
  x: HfInput | undefined, day: number, sign: 1 | -1, floor: number, floorIsPct: boolean, hf: HfConfig,
): number {
  if (!x || x.n < hf.minBaselineDays || day - x.day > hf.inputStaleDays) return NaN;
  const minSpread = floorIsPct ? (Math.abs(x.median) * floor) / 100 : floor;
  const spread = Math.max(x.spread, minSpread, 1e-9);
  return (sign * (x.smooth - x.median)) / spread;
}

/** Whether the input has a usable value today (fresh, with a baseline). */
export function usable(x: HfInput | undefined, day: number, hf: HfConfig): x is HfInput {
  return x !== undefined && x.n >= hf.minBaselineDays && day - x.day <= hf.inputStaleDays;
}

/**
 * Median absolute deviation from `m` of the first `n` sorted values, in O(n): the deviations
 * below and above the median are each already in order, so merging them outwards from the
 * median yields them sorted, and only the middle one (or two) is needed.
 */
export function medianDeviation(v: Float64Array, n: number, m: number): number {
  let lo = 0;
  while (lo < n && (v[lo] as number) <= m) lo++;
  let i = lo - 1;
  let j = lo;
  const want = (n - 1) >> 1;
  let prev = 0;
  for (let k = 0; k <= want + 1 && k < n; k++) {
    const left = i >= 0 ? m - (v[i] as number) : Infinity;
    const right = j < n ? (v[j] as number) - m : Infinity;
    let d: number;
    if (left <= right) {
      d = left;
      i--;
    } else {
      d = right;
      j++;
    }
    if (k === want) {
      if (n % 2 === 1) return d;
      prev = d;
    } else if (k === want + 1) return (prev + d) / 2;
  }
  return prev;
}
