// The daily heart-failure score (TriageHF / HeartLogic structure): each input against the
// device's own baseline, scaled to 0..1 at a clinically meaningful change, weighted and summed.
import { isLearned } from '../baseline.ts';
import type { EngineConfig } from '../config.ts';
import { clamp01, round1 } from '../score.ts';
import type { DeviceState, Evidence } from '../types.ts';
import { fluidReady } from './fluid.ts';

/** Daily metrics the score reads, smoothed over a few days before comparison. */
export const HF_INPUTS = new Set([
  'night_heart_rate', 'activity', 'hrv_sdaam', 'respiratory_rate', 'af_burden', 'crt_pacing_pct',
]);

export interface HfScore {
  readonly score: number;
  readonly fluidIndex: number;
  readonly evidence: Evidence;
  /** Human-readable parts, largest contributions first. */
  readonly parts: readonly string[];
}

export function smoothInput(state: DeviceState, metric: string, value: number, day: number, config: EngineConfig): void {
  const prev = state.hf.inputs[metric];
  const fresh = !prev || day - prev.day > config.hf.inputStaleDays;
  const smoothed = fresh ? value : prev.value + config.hf.inputAlpha * (value - prev.value);
  state.hf.inputs[metric] = { day, value: smoothed };
}

export function hfScore(state: DeviceState, day: number, at: number, config: EngineConfig): HfScore {
  const { weights: w, scales: k } = config.hf;
  const hf = state.hf;
  const evidence: Evidence = {};
  const parts: [number, string][] = [];
  let score = 0;

  const fluid = fluidReady(hf, config) ? hf.fluidIndex : 0;
  if (fluid > 0) {
    score += w.fluid * clamp01(fluid / config.hf.fluidThreshold);
    evidence.fluidIndex = Math.round(fluid);
    // The fluid index leads the summary whatever its weight, as in the clinic's reports.
    parts.push([Infinity,
      `Fluid index ${Math.round(fluid)} Ohm·d (threshold ${config.hf.fluidThreshold})`]);
  }
  // delta > 0 is the worsening direction; pct compares against the baseline mean.
  const input = (metric: string, sign: 1 | -1, pct: boolean): number | null => {
    const x = hf.inputs[metric];
    const b = state.baselines[metric];
    if (!x || day - x.day > config.hf.inputStaleDays || !isLearned(b, at, config)) return null;
    const delta = sign * (x.value - b.mean);
    return pct ? (b.mean > 0 ? (delta / b.mean) * 100 : null) : delta;
  };
  const add = (weight: number, delta: number | null, scale: number, key: string, text: (d: number) => string): void => {
    if (delta === null) return;
    const c = weight * clamp01(delta / scale);
    score += c;
    if (c > 0) {
      parts.push([c, text(delta)]);
    }
    evidence[key] = round1(delta);
  };
  add(w.nightHeartRate, input('night_heart_rate', 1, false), k.nightHeartRateRise, 'nightHeartRateDelta',
    (d) => `night heart rate +${Math.round(d)}/min`);
  const activity = input('activity', -1, true);
  add(w.activity, activity, k.activityFallPct, 'activityFallPct', (d) => `activity -${Math.round(d)} %`);
  if (activity !== null) evidence.activityChangePct = -Math.round(activity);
  add(w.hrv, input('hrv_sdaam', -1, true), k.hrvFallPct, 'hrvFallPct', (d) => `HRV -${Math.round(d)} %`);
  add(w.respiratoryRate, input('respiratory_rate', 1, false), k.respiratoryRateRise, 'respiratoryRateDelta',
    (d) => `respiratory rate +${round1(d)}/min`);
  add(w.afBurden, input('af_burden', 1, false), k.afBurdenHours, 'afBurdenDelta', (d) => `AF +${round1(d)} h/d`);
  add(w.crtPacing, input('crt_pacing_pct', -1, false), k.crtPacingShortfall, 'crtPacingShortfall',
    (d) => `CRT pacing -${round1(d)} points`);
  if (hf.lastVentricularDay !== null && day - hf.lastVentricularDay < config.hf.ventricularDays) {
    score += w.ventricular;
    parts.push([w.ventricular, 'recent ventricular arrhythmia']);
    evidence.ventricularEvents = 1;
  }
  parts.sort((a, b) => b[0] - a[0]);
  evidence.score = Math.round(score * 100) / 100;
  return { score: Math.min(1, score), fluidIndex: fluid, evidence, parts: parts.map((p) => p[1]) };
}
