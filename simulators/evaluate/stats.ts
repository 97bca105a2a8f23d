// The few statistics the evaluation needs, written out so their definitions are on the page:
// a proportion's confidence interval and quantiles of warning times.

/** Two-sided 95 % normal quantile. */
const Z95 = 1.959963984540054;

/**
 * Wilson score interval of a proportion (95 %). Unlike p ± z·√(p(1−p)/n) it stays inside
 * [0, 1] and does not collapse to a point at 0/n or n/n, which matters with the few dozen
 * heart-failure events of a cohort. [NaN, NaN] when n is 0.
 */
export function wilson(successes: number, n: number, z = Z95): [number, number] {
  if (n === 0) return [NaN, NaN];
  const p = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // At 0/n and n/n the bound is exactly 0 or 1; rounding would leave 1e-17 off.
  return [successes === 0 ? 0 : centre - half, successes === n ? 1 : centre + half];
}

/**
 * The q-quantile by linear interpolation between order statistics (R's type 7, numpy's
 * default), so the median of an even count is the mean of the middle two. NaN when empty.
 */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const h = (s.length - 1) * q;
  const lo = Math.floor(h);
  const a = s[lo] as number;
  const b = s[Math.min(lo + 1, s.length - 1)] as number;
  return a + (h - lo) * (b - a);
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);

export interface Quartiles {
  readonly p25: number;
  readonly median: number;
  readonly p75: number;
}

export function quartiles(values: readonly number[]): Quartiles {
  return { p25: quantile(values, 0.25), median: quantile(values, 0.5), p75: quantile(values, 0.75) };
}
