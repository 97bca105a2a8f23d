// A plain OptiVol-style fluid index, written from the published description (Yu et al.,
// Circulation 2005;112:841; Medtronic's 34-day start) and independent of the service's engine.
// The step sizes of the reference are not published; ours are documented in docs/simulator.md.

export interface OptiVolSettings {
  /** Days after implant (or the first report) before data collection starts: pocket maturation. */
  readonly collectionDelayDays: number;
  /** Valid days whose mean becomes the first reference. */
  readonly initDays: number;
  /** Largest daily move of the reference towards a higher / lower daily impedance, Ohm. */
  readonly upStep: number;
  readonly downStep: number;
  readonly threshold: number;
}

export const OPTIVOL: OptiVolSettings = Object.freeze({
  collectionDelayDays: 34, initDays: 4, upStep: 0.5, downStep: 0.125, threshold: 60,
});

/**
 * The index for each day of `z` (daily impedance, NaN when nothing was reported); NaN on days
 * without a value or before the reference exists. `firstDay` is the device's first report.
 */
export function fluidIndexSeries(z: ArrayLike<number>, firstDay: number, s: OptiVolSettings = OPTIVOL): Float64Array {
  const out = new Float64Array(z.length).fill(Number.NaN);
  let ref = Number.NaN;
  let index = 0;
  const init: number[] = [];
  for (let d = firstDay + s.collectionDelayDays; d < z.length; d++) {
    const v = z[d] ?? Number.NaN;
    if (Number.isNaN(v)) continue;
    if (Number.isNaN(ref)) {
      init.push(v);
      if (init.length === s.initDays) ref = init.reduce((a, b) => a + b, 0) / init.length;
      out[d] = 0;
      continue;
    }
    if (v < ref) {
      index += ref - v;
      ref -= Math.min(s.downStep, ref - v);
    } else {
      index = 0;
      ref += Math.min(s.upStep, v - ref);
    }
    out[d] = index;
  }
  return out;
}

/** Days on which the index went from below the threshold to at or above it. */
export function crossingDays(index: ArrayLike<number>, threshold = OPTIVOL.threshold): number[] {
  const days: number[] = [];
  let prev = 0;
  for (let d = 0; d < index.length; d++) {
    const v = index[d] ?? Number.NaN;
    if (Number.isNaN(v)) continue;
    if (prev < threshold && v >= threshold) days.push(d);
    prev = v;
  }
  return days;
}
