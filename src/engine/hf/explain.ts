// The words and evidence of a heart-failure alert: the fluid index first, then every signal
// that drove the score, each as its change in the patient's own units beside its baseline.
// Built only when an alert is raised, so the per-reading path allocates none of it.
import type { EngineConfig } from '../config.ts';
import { round1 } from '../score.ts';
import type { DeviceState, Evidence, HfInput } from '../types.ts';
import type { Assessment } from './assess.ts';
import type { HfConfig } from './config.ts';
import { deviation } from './inputs.ts';

interface Signal {
  readonly metric: string;
  /** Key of the change in the evidence (the alert contract's names) and of its baseline. */
  readonly key: string;
  readonly baselineKey: string;
  readonly pct: boolean;
  /** +1 when a rise is the worsening direction, -1 when a fall is; and its spread floor. */
  readonly sign: 1 | -1;
  readonly floor: (f: HfConfig['spreadFloor']) => number;
  readonly text: (change: number, baseline: number) => string;
}

const signed = (x: number, unit: string): string => `${x > 0 ? '+' : x < 0 ? '−' : ''}${Math.abs(x)}${unit}`;

const SIGNALS: readonly Signal[] = [
  { metric: 'thoracic_impedance', key: 'impedanceChangePct', baselineKey: 'impedanceBaseline', pct: true, sign: -1, floor: (f) => f.impedancePct,
    text: (c, b) => `thoracic impedance ${signed(round1(c), ' %')} (baseline ${Math.round(b)} Ohm)` },
  { metric: 'respiratory_rate', key: 'respiratoryRateDelta', baselineKey: 'respiratoryRateBaseline', pct: false, sign: 1, floor: (f) => f.respiratoryRate,
    text: (c, b) => `respiratory rate ${signed(round1(c), '/min')} (baseline ${round1(b)}/min)` },
  { metric: 'night_heart_rate', key: 'nightHeartRateDelta', baselineKey: 'nightHeartRateBaseline', pct: false, sign: 1, floor: (f) => f.nightHeartRate,
    text: (c, b) => `night heart rate ${signed(Math.round(c), '/min')} (baseline ${Math.round(b)}/min)` },
  { metric: 'hrv_sdaam', key: 'hrvChangePct', baselineKey: 'hrvBaseline', pct: true, sign: -1, floor: (f) => f.hrvPct,
    text: (c, b) => `HRV ${signed(Math.round(c), ' %')} (baseline ${Math.round(b)} ms)` },
  { metric: 'activity', key: 'activityChangePct', baselineKey: 'activityBaseline', pct: true, sign: -1, floor: (f) => f.activityPct,
    text: (c, b) => `activity ${signed(Math.round(c), ' %')} (baseline ${Math.round(b)} min/d)` },
  { metric: 'af_burden', key: 'afBurdenDelta', baselineKey: 'afBurdenBaseline', pct: false, sign: 1, floor: (f) => f.afBurdenHours,
    text: (c, b) => `AF ${signed(round1(c), ' h/d')} (baseline ${round1(b)} h/d)` },
];

function change(x: HfInput, pct: boolean): number {
  const d = x.smooth - x.median;
  return pct ? (x.median !== 0 ? (d / x.median) * 100 : 0) : d;
}

export function explainHf(state: DeviceState, at: number, a: Assessment, config: EngineConfig): { summary: string; evidence: Evidence } {
  const hf = config.hf;
  const evidence: Evidence = { fluidIndex: Math.round(a.fluid) };
  const parts: [number, string][] = [];
  for (const s of SIGNALS) {
    const x = state.hf.inputs[s.metric];
    if (!x || x.n < hf.minBaselineDays || state.hf.day - x.day > hf.inputStaleDays) continue;
    const ch = change(x, s.pct);
    evidence[s.key] = s.pct ? Math.round(ch) : round1(ch);
    evidence[s.baselineKey] = round1(x.median);
    // A signal drove the alert when it deviates past zLow of the patient's own spread.
    const z = deviation(x, state.hf.day, s.sign, s.floor(hf.spreadFloor), s.pct, hf);
    if (z >= hf.zLow) parts.push([z, s.text(ch, x.median)]);
  }
  const v = state.hf.lastVentricularAt;
  if (v !== null && at - v < hf.ventricularDays * 86_400_000) {
    parts.push([hf.zHigh, 'recent ventricular arrhythmia']);
    evidence.recentVentricularArrhythmia = 1;
  }
  const crt = state.hf.inputs.crt_pacing_pct;
  if (crt && state.hf.day - crt.day <= hf.inputStaleDays && crt.smooth < config.crt.minPct) {
    parts.push([hf.zLow, `CRT pacing ${round1(crt.smooth)} %`]);
    evidence.crtPacingPct = round1(crt.smooth);
  }
  const af = state.hf.afRate;
  if (af && state.hf.day - af.day <= hf.inputStaleDays && af.value >= hf.absolute.afVentricularRate) {
    evidence.afVentricularRate = Math.round(af.value);
  }
  parts.sort((p, q) => q[0] - p[0]);
  evidence.sensorsAbnormal = a.active;
  evidence.sensorsAvailable = a.available;
  evidence.score = Math.round(a.score * 100) / 100;
  evidence.riskStatus = 'High';
  const head = `Fluid index ${Math.round(a.fluid)} Ohm·d (threshold ${hf.fluidThreshold})`;
  return { summary: [head, ...parts.map((p) => p[1])].join('; '), evidence };
}
