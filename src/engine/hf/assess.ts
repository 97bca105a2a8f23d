// One assessment of a device's heart-failure risk. Each input is a robust deviation of its
// short average from the patient's own baseline (inputs.ts), in units of the patient's own
// spread. Four physiological sensors, one budget each: thoracic impedance (its fall, or the
// fluid index), respiration, heart rate (night rate or HRV, whichever is worse), activity.
//
// High needs two independent sensors, and thoracic impedance must be one of them: impedance
// abnormal (a fall of zImpedance spreads, or the fluid index at its published threshold) with
// a second sensor at zSecond spreads. Impedance stands alone when the fluid index reaches
// fluidAloneLevel with an abnormal fall, or its published threshold with a fall of
// zImpedanceAlone spreads: a fluid index is a sum of Ohms, and the same sum is routine for a
// patient whose impedance wanders widely and exceptional for a steady one. Pairs without impedance were tried and mostly found
// respiratory infections (docs/engine.md). The daily score (components re-weighted over the
// sensors available, plus the rhythm and therapy modifiers and TriageHF's absolute criteria)
// grades Medium and recovery; it never makes High on its own.
import type { EngineConfig } from '../config.ts';
import { clamp01 } from '../score.ts';
import type { DeviceState, HfInput } from '../types.ts';
import type { HfConfig } from './config.ts';
import { fluidReady } from './fluid.ts';
import { deviation, usable } from './inputs.ts';

export interface Assessment {
  score: number;
  /** Physiological sensors abnormal and available (impedance counted when it is abnormal). */
  active: number;
  available: number;
  impedance: boolean;
  fluid: number;
  high: boolean;
}

/** Robust deviations (positive = worse; NaN when the input cannot count) of each sensor. */
export interface Deviations {
  impedance: number; respiration: number; heartRate: number; activity: number; afBurden: number;
}

export function deviations(state: DeviceState, config: EngineConfig): Deviations {
  const hf = config.hf;
  const day = state.hf.day;
  const f = hf.spreadFloor;
  const i = state.hf.inputs;
  return {
    impedance: deviation(i.thoracic_impedance, day, -1, f.impedancePct, true, hf),
    respiration: deviation(i.respiratory_rate, day, 1, f.respiratoryRate, false, hf),
    heartRate: larger(
      deviation(i.night_heart_rate, day, 1, f.nightHeartRate, false, hf),
      deviation(i.hrv_sdaam, day, -1, f.hrvPct, true, hf),
    ),
    activity: deviation(i.activity, day, -1, f.activityPct, true, hf),
    afBurden: deviation(i.af_burden, day, 1, f.afBurdenHours, false, hf),
  };
}

/** The larger of two values, ignoring a missing one (NaN when both are). */
function larger(a: number, b: number): number {
  if (Number.isNaN(a)) return b;
  if (Number.isNaN(b)) return a;
  return a > b ? a : b;
}

/** A deviation's share of its sensor's budget: 0 up to zLow spreads, 1 from zHigh. */
export function component(z: number, hf: HfConfig): number {
  return Number.isNaN(z) ? NaN : clamp01((z - hf.zLow) / (hf.zHigh - hf.zLow));
}

function fresh(x: HfInput | undefined, day: number, hf: HfConfig): x is HfInput {
  return x !== undefined && day - x.day <= hf.inputStaleDays;
}

export function fluidOf(state: DeviceState, config: EngineConfig): number {
  return fluidReady(state.hf, config) ? state.hf.fluidIndex : 0;
}

/** The modifiers: rhythm (AF burden, fast AF) and therapy (CRT pacing loss, ventricular events). */
function modifiers(state: DeviceState, at: number, d: Deviations, config: EngineConfig): number {
  const hf = config.hf;
  const s = state.hf;
  let rhythm = component(d.afBurden, hf);
  if (s.afRate && s.day - s.afRate.day <= hf.inputStaleDays && s.afRate.value >= hf.absolute.afVentricularRate) {
    rhythm = larger(rhythm, hf.absolute.floor);
  }
  const crt = s.inputs.crt_pacing_pct;
  let therapy = fresh(crt, s.day, hf) ? clamp01((config.crt.minPct - crt.smooth) / hf.crtShortfall) : NaN;
  if (s.lastVentricularAt !== null && at - s.lastVentricularAt < hf.ventricularDays * 86_400_000) therapy = 1;
  return (Number.isNaN(rhythm) ? 0 : hf.weights.rhythm * rhythm) + (Number.isNaN(therapy) ? 0 : hf.weights.therapy * therapy);
}

interface Accumulator { sum: number; weight: number; available: number }

/** Adds a sensor's share, re-weighting over the sensors that have one (a missing one is NaN). */
function addShare(acc: Accumulator, weight: number, share: number): void {
  if (Number.isNaN(share)) return;
  acc.available += 1;
  acc.weight += weight;
  acc.sum += weight * share;
}

export function assess(state: DeviceState, at: number, config: EngineConfig): Assessment {
  const hf = config.hf;
  const w = hf.weights;
  const s = state.hf;
  const d = deviations(state, config);
  const fluid = fluidOf(state, config);
  const impedance = usable(s.inputs.thoracic_impedance, s.day, hf);
  const abs = hf.absolute;
  const night = s.inputs.night_heart_rate;
  const hrv = s.inputs.hrv_sdaam;
  const act = s.inputs.activity;
  // TriageHF's absolute criteria raise their sensor's share of the score, never its abnormality.
  const autonomic = (fresh(night, s.day, hf) && night.smooth > abs.nightHeartRate) || (fresh(hrv, s.day, hf) && hrv.smooth < abs.hrvMs);
  const inactive = fresh(act, s.day, hf) && act.smooth < abs.activityMinutes;

  const acc: Accumulator = { sum: 0, weight: 0, available: 0 };
  if (impedance) addShare(acc, w.impedance, larger(component(d.impedance, hf), clamp01(fluid / hf.fluidThreshold)));
  addShare(acc, w.respiration, component(d.respiration, hf));
  addShare(acc, w.heartRate, autonomic ? larger(component(d.heartRate, hf), abs.floor) : component(d.heartRate, hf));
  addShare(acc, w.activity, inactive ? larger(component(d.activity, hf), abs.floor) : component(d.activity, hf));
  const others = (d.respiration >= hf.zSecond ? 1 : 0) + (d.heartRate >= hf.zSecond ? 1 : 0) + (d.activity >= hf.zSecond ? 1 : 0);

  const available = acc.available;
  const score = Math.min(1, (acc.weight > 0 ? acc.sum / acc.weight : 0) + modifiers(state, at, d, config));
  const impedanceAbnormal = impedance && (d.impedance >= hf.zImpedance || fluid >= hf.fluidThreshold);
  const active = others + (impedanceAbnormal ? 1 : 0);
  const fluidAlone = (fluid >= hf.fluidAloneLevel && d.impedance >= hf.zImpedance) ||
    (fluid >= hf.fluidThreshold && d.impedance >= hf.zImpedanceAlone);
  const high = impedance && (fluidAlone || (impedanceAbnormal && active >= hf.minSensors));
  return { score, active, available, impedance, fluid, high };
}
