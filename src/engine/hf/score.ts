// The daily heart-failure score (TriageHF / HeartLogic structure): each input against the
// device's own baseline, scaled to 0..1 at a clinically meaningful change, weighted and summed.
// The score runs on every HF reading, so it allocates nothing; the text is built only for an alert.
import { isLearned } from '../baseline.ts';
import type { EngineConfig } from '../config.ts';
import { clamp01, round1 } from '../score.ts';
import type { DeviceState, Evidence } from '../types.ts';
import { fluidReady } from './fluid.ts';

/**
 * Daily metrics the score reads, smoothed over a few days before comparison. thoracic_impedance
 * is smoothed too, but is routed to the detector with the fluid index, so it is not listed here.
 */
export const HF_INPUTS = new Set([
  'night_heart_rate', 'activity', 'hrv_sdaam', 'respiratory_rate', 'af_burden', 'crt_pacing_pct',
]);

type Weights = EngineConfig['hf']['weights'];
type Scales = EngineConfig['hf']['scales'];

interface InputDef {
  readonly metric: string;
  /** +1 when a rise is the worsening direction, -1 when a fall is. */
  readonly sign: 1 | -1;
  /** Change in percent of the baseline (else in the metric's unit). */
  readonly pct: boolean;
  readonly weight: keyof Weights;
  readonly scale: keyof Scales;
  readonly key: string;
  readonly text: (d: number) => string;
}

const INPUTS: readonly InputDef[] = [
  // The daily impedance itself (HeartLogic's structure), against its learned baseline: it falls
  // from the first days of fluid loading, while the fluid index, a sum, only grows with the
  // square of the time since the fall began.
  { metric: 'thoracic_impedance', sign: -1, pct: true, weight: 'impedance', scale: 'impedanceFallPct',
    key: 'impedanceChangePct', text: (d) => `impedance -${round1(d)} %` },
  { metric: 'night_heart_rate', sign: 1, pct: false, weight: 'nightHeartRate', scale: 'nightHeartRateRise',
    key: 'nightHeartRateDelta', text: (d) => `night heart rate +${Math.round(d)}/min` },
  { metric: 'activity', sign: -1, pct: true, weight: 'activity', scale: 'activityFallPct',
    key: 'activityChangePct', text: (d) => `activity -${Math.round(d)} %` },
  { metric: 'hrv_sdaam', sign: -1, pct: true, weight: 'hrv', scale: 'hrvFallPct',
    key: 'hrvChangePct', text: (d) => `HRV -${Math.round(d)} %` },
  { metric: 'respiratory_rate', sign: 1, pct: false, weight: 'respiratoryRate', scale: 'respiratoryRateRise',
    key: 'respiratoryRateDelta', text: (d) => `respiratory rate +${round1(d)}/min` },
  { metric: 'af_burden', sign: 1, pct: false, weight: 'afBurden', scale: 'afBurdenHours',
    key: 'afBurdenDelta', text: (d) => `AF +${round1(d)} h/d` },
  { metric: 'crt_pacing_pct', sign: -1, pct: false, weight: 'crtPacing', scale: 'crtPacingShortfall',
    key: 'crtPacingShortfall', text: (d) => `CRT pacing -${round1(d)} points` },
];

export function smoothInput(state: DeviceState, metric: string, value: number, day: number, config: EngineConfig): void {
  const prev = state.hf.inputs[metric];
  if (!prev || day - prev.day > config.hf.inputStaleDays) {
    state.hf.inputs[metric] = { day, value };
  } else {
    prev.day = day;
    prev.value += config.hf.inputAlpha * (value - prev.value);
  }
}

/** Worsening change of one input against its baseline; NaN when there is nothing to compare. */
function worsening(state: DeviceState, input: InputDef, day: number, at: number, config: EngineConfig): number {
  const x = state.hf.inputs[input.metric];
  const b = state.baselines[input.metric];
  if (!x || day - x.day > config.hf.inputStaleDays || !isLearned(b, at, config)) return NaN;
  const delta = input.sign * (x.value - b.mean);
  if (!input.pct) return delta;
  return b.mean > 0 ? (delta / b.mean) * 100 : NaN;
}

function fluidOf(state: DeviceState, config: EngineConfig): number {
  return fluidReady(state.hf, config) ? state.hf.fluidIndex : 0;
}

function ventricularRecent(state: DeviceState, day: number, config: EngineConfig): boolean {
  const last = state.hf.lastVentricularDay;
  return last !== null && day - last < config.hf.ventricularDays;
}

export function hfScore(state: DeviceState, day: number, at: number, config: EngineConfig): number {
  const { weights, scales } = config.hf;
  let score = weights.fluid * clamp01(fluidOf(state, config) / config.hf.fluidThreshold);
  for (const input of INPUTS) {
    const d = worsening(state, input, day, at, config);
    if (d > 0) score += weights[input.weight] * clamp01(d / scales[input.scale]);
  }
  if (ventricularRecent(state, day, config)) score += weights.ventricular;
  return Math.min(1, score);
}

/** Summary (fluid index first, then the largest contributions) and evidence of an HF alert. */
export function explainHf(state: DeviceState, day: number, at: number, config: EngineConfig): { summary: string; evidence: Evidence } {
  const { weights, scales } = config.hf;
  const evidence: Evidence = {};
  const parts: [number, string][] = [];
  const fluid = fluidOf(state, config);
  evidence.fluidIndex = Math.round(fluid);
  const head = `Fluid index ${Math.round(fluid)} Ohm·d (threshold ${config.hf.fluidThreshold})`;
  for (const input of INPUTS) {
    const d = worsening(state, input, day, at, config);
    if (Number.isNaN(d)) continue;
    // Evidence keeps the contract's signs: a fall in activity is a negative change.
    evidence[input.key] = input.pct ? input.sign * Math.round(d) : round1(input.sign * d);
    const c = weights[input.weight] * clamp01(d / scales[input.scale]);
    if (c > 0) parts.push([c, input.text(d)]);
  }
  if (ventricularRecent(state, day, config)) {
    parts.push([weights.ventricular, 'recent ventricular arrhythmia']);
    evidence.recentVentricularArrhythmia = 1;
  }
  parts.sort((a, b) => b[0] - a[0]);
  evidence.score = Math.round(hfScore(state, day, at, config) * 100) / 100;
  return { summary: [head, ...parts.map((p) => p[1])].join('; '), evidence };
}
