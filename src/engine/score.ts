// The reading score: 0 = typical, 1 = extreme, for this device and metric.
import type { MetricDef } from '../domain/types.ts';
import { isLearned, sdOf } from './baseline.ts';
import type { EngineConfig } from './config.ts';
import type { MetricBaseline } from './types.ts';

/** Scores against the device's own baseline once learned, else the vocabulary's typical range. */
export function scoreReading(
  value: number, at: number, def: MetricDef, b: MetricBaseline | undefined, config: EngineConfig,
): number {
  if (isLearned(b, at, config) && def.kind !== 'count' && def.kind !== 'status') {
    const z = Math.abs(value - b.mean) / sdOf(b, def, config);
    const { zTypical, zExtreme } = config.score;
    return clamp01((z - zTypical) / (zExtreme - zTypical));
  }
  return typicalRangeScore(value, def);
}

/**
 * Distance outside the typical range in units of half its width. Counts and statuses always
 * use this: any VT episode is unusual however often the device has reported them.
 */
export function typicalRangeScore(value: number, def: MetricDef): number {
  const halfWidth = (def.typicalHigh - def.typicalLow) / 2;
  const outside = Math.max(0, def.typicalLow - value, value - def.typicalHigh);
  if (outside === 0) return 0;
  return clamp01(outside / (halfWidth > 0 ? halfWidth : 1));
}

export function clamp01(x: number): number {
  return x <= 0 ? 0 : x >= 1 ? 1 : x;
}

export function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
