// Capture threshold: above an absolute limit from the first reading; doubling against the
// device's own baseline once it is learned (lead dislodgement, exit block).
import { round1 } from '../score.ts';
import type { Finding } from '../types.ts';
import type { Detector } from './context.ts';

export const CAPTURE_METRICS = new Set(['ra_capture_threshold', 'rv_capture_threshold', 'lv_capture_threshold']);

export const captureThreshold: Detector = ({ reading, config, baseline, learned }): Finding | null => {
  if (!CAPTURE_METRICS.has(reading.metric)) return null;
  const lead = reading.metric.slice(0, 2).toUpperCase();
  const v = reading.value;
  const priority = config.priorities.capture_threshold;
  if (v > config.capture.maxVolts) {
    return { kind: 'capture_threshold', priority, summary: `${lead} capture threshold ${v} V (limit ${config.capture.maxVolts} V)`,
      evidence: { lead, threshold: v, limit: config.capture.maxVolts } };
  }
  if (!learned || !baseline || baseline.mean <= 0) return null;
  const ratio = v / baseline.mean;
  if (ratio < config.capture.ratio) return null;
  return { kind: 'capture_threshold', priority,
    summary: `${lead} capture threshold ${v} V, ${round1(ratio)}x its 30-day baseline ${round1(baseline.mean)} V`,
    evidence: { lead, threshold: v, baseline: round1(baseline.mean), ratio: round1(ratio) } };
};
