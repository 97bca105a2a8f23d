// Per-metric baselines of one device: exponentially weighted mean and variance, O(1) a sample.
// Samples are clipped to mean ± clipSd·sd once learned, so an episode (a decompensation, a
// fracturing lead) barely drags the baseline it is measured against, yet a lasting change is
// still followed, slowly.
import type { MetricDef } from '../domain/types.ts';
import type { EngineConfig } from './config.ts';
import { DAY_MS } from './time.ts';
import type { MetricBaseline } from './types.ts';

export function isLearned(b: MetricBaseline | undefined, at: number, config: EngineConfig): b is MetricBaseline {
  return b !== undefined && b.n >= config.learning.minSamples && at - b.firstAt >= config.learning.days * DAY_MS;
}

export function sdOf(b: MetricBaseline, def: MetricDef, config: EngineConfig): number {
  const floor = Math.max(config.baseline.sdFloorFraction * (def.typicalHigh - def.typicalLow), 1e-9);
  return Math.max(Math.sqrt(b.variance), floor);
}

/** Folds a sample into the baseline (mutates it) and returns it. */
export function updateBaseline(
  b: MetricBaseline | undefined, value: number, at: number, def: MetricDef, config: EngineConfig,
): MetricBaseline {
  if (!b) return { n: 1, mean: value, variance: 0, firstAt: at };
  // While learning, the weight 1/n makes it the plain mean of what has been seen.
  const learning = b.n < config.learning.minSamples;
  const alpha = Math.max(config.baseline.alpha, 1 / (b.n + 1));
  let x = value;
  if (!learning) {
    const limit = config.baseline.clipSd * sdOf(b, def, config);
    x = Math.min(b.mean + limit, Math.max(b.mean - limit, value));
  }
  const diff = x - b.mean;
  const incr = alpha * diff;
  b.mean += incr;
  b.variance = (1 - alpha) * (b.variance + diff * incr);
  b.n += 1;
  return b;
}
