// Every threshold, window and hysteresis of the engine, with defaults from the alert contract
// (version 1) and the published algorithms it names. Sites and clinicians override any subset.
import type { AlertKind, Priority } from './types.ts';

export interface EngineConfig {
  /** Before this, trend detectors stay silent and scores use the vocabulary's typical range. */
  readonly learning: { readonly days: number; readonly minSamples: number };
  readonly baseline: {
    /** EWMA weight of a new sample once learned: 1/30, a memory of about 30 daily samples. */
    readonly alpha: number;
    /** Samples are clipped to mean ± clipSd·sd before updating, so an episode barely moves it. */
    readonly clipSd: number;
    /** Floor of the standard deviation, as a fraction of the typical range width. */
    readonly sdFloorFraction: number;
  };
  /** Reading score: 0 up to zTypical standard deviations, 1 from zExtreme on. */
  readonly score: { readonly zTypical: number; readonly zExtreme: number };
  readonly priorities: Readonly<Record<AlertKind, Priority>>;
  readonly ventricular: { readonly minEpisodes: number };
  readonly shock: { readonly minShocks: number };
  readonly lead: {
    readonly pacingMin: number; readonly pacingMax: number;
    readonly shockMin: number; readonly shockMax: number;
    readonly jumpPct: number;
    /** A change this large vs baseline counts towards the 2-of-3 rule. */
    readonly abnormalChangePct: number;
    readonly ruleWindowDays: number;
    readonly nsvtMin: number;
    readonly shortVvMin: number;
    readonly shortVvDays: number;
  };
  readonly capture: { readonly maxVolts: number; readonly ratio: number };
  readonly battery: {
    readonly eriStatus: number; readonly eosStatus: number;
    readonly longevityDropMonths: number; readonly longevityWindowDays: number;
  };
  readonly af: { readonly burdenHours: number; readonly fastRate: number; readonly fastMinBurdenHours: number };
  readonly crt: { readonly minPct: number; readonly lowDays: number; readonly ofDays: number };
  readonly hf: {
    /** OptiVol starts collecting 34 days after implant. */
    readonly learningDays: number;
    /** Per-day weight of the reference's move towards the daily value (falls) and (rises). */
    readonly referenceAlphaDown: number;
    readonly referenceAlphaUp: number;
    readonly fluidThreshold: number;
    /** Priority high when the fluid index reaches this multiple of its threshold. */
    readonly highPriorityFactor: number;
    /**
     * Change that makes each input's component 1 (components are linear from 0, capped). The
     * impedance fall is the smoothed daily impedance below its learned baseline, in percent.
     */
    readonly scales: {
      readonly impedanceFallPct: number;
      readonly nightHeartRateRise: number; readonly activityFallPct: number; readonly hrvFallPct: number;
      readonly respiratoryRateRise: number; readonly afBurdenHours: number; readonly crtPacingShortfall: number;
    };
    /**
     * Weight of each component in the daily score. The fluid index's weight equals highLevel, so
     * the index alone reaches High exactly at fluidThreshold (OptiVol's own alert); below it,
     * fluid needs a second sign.
     */
    readonly weights: {
      readonly fluid: number; readonly impedance: number; readonly nightHeartRate: number; readonly activity: number; readonly hrv: number;
      readonly respiratoryRate: number; readonly afBurden: number; readonly crtPacing: number; readonly ventricular: number;
    };
    /** Weight of a new day in each input's short average, so one odd night moves it little. */
    readonly inputAlpha: number;
    /** An input not reported for this many days drops out of the score. */
    readonly inputStaleDays: number;
    /** Ventricular events count for this many days. */
    readonly ventricularDays: number;
    readonly mediumLevel: number;
    readonly highLevel: number;
    readonly recoveryLevel: number;
    readonly recoveryDays: number;
    /** Risk status = highest daily score of this many days. */
    readonly riskWindowDays: number;
  };
  readonly connectivity: { readonly silentHours: number };
}

export const DEFAULT_CONFIG: EngineConfig = deepFreeze({
  learning: { days: 30, minSamples: 14 },
  baseline: { alpha: 1 / 30, clipSd: 1.5, sdFloorFraction: 0.05 },
  score: { zTypical: 1, zExtreme: 4 },
  priorities: {
    ventricular_arrhythmia: 'high', shock_delivered: 'high', lead_integrity: 'high',
    capture_threshold: 'medium', battery: 'medium', af_burden: 'medium', af_fast_ventricular_rate: 'medium',
    crt_pacing_loss: 'medium', hf_decompensation: 'medium', connectivity_loss: 'low',
  },
  ventricular: { minEpisodes: 1 },
  shock: { minShocks: 1 },
  lead: {
    pacingMin: 200, pacingMax: 2000, shockMin: 20, shockMax: 200, jumpPct: 50,
    abnormalChangePct: 30, ruleWindowDays: 60, nsvtMin: 2, shortVvMin: 30, shortVvDays: 3,
  },
  capture: { maxVolts: 3.5, ratio: 2 },
  battery: { eriStatus: 3, eosStatus: 4, longevityDropMonths: 6, longevityWindowDays: 30 },
  af: { burdenHours: 6, fastRate: 110, fastMinBurdenHours: 1 },
  crt: { minPct: 90, lowDays: 5, ofDays: 7 },
  hf: {
    learningDays: 34, referenceAlphaDown: 1 / 30, referenceAlphaUp: 1 / 10,
    fluidThreshold: 60, highPriorityFactor: 2,
    scales: {
      impedanceFallPct: 3, nightHeartRateRise: 8, activityFallPct: 35, hrvFallPct: 20,
      respiratoryRateRise: 1.5, afBurdenHours: 6, crtPacingShortfall: 10,
    },
    weights: {
      fluid: 0.45, impedance: 0.3, nightHeartRate: 0.15, activity: 0.15, hrv: 0.1,
      respiratoryRate: 0.15, afBurden: 0.1, crtPacing: 0.1, ventricular: 0.15,
    },
    inputAlpha: 0.5, inputStaleDays: 3, ventricularDays: 7,
    mediumLevel: 0.3, highLevel: 0.45, recoveryLevel: 0.25, recoveryDays: 7, riskWindowDays: 30,
  },
  connectivity: { silentHours: 48 },
});

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** Site overrides apply over the base, a clinician's patient overrides over both. */
export function mergeConfig(
  base: EngineConfig,
  siteOverride?: DeepPartial<EngineConfig>,
  patientOverride?: DeepPartial<EngineConfig>,
): EngineConfig {
  let merged: unknown = base;
  for (const o of [siteOverride, patientOverride]) if (o) merged = mergeInto(merged, o, '');
  return deepFreeze(merged as EngineConfig);
}

function mergeInto(base: unknown, over: unknown, path: string): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    // An unknown key is a typo in an override; ignoring it would silently keep the default.
    if (!Object.hasOwn(base, k)) throw new Error(`unknown engine config key: ${path}${k}`);
    if (v !== undefined) out[k] = mergeInto(base[k], v, `${path}${k}.`);
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepFreeze<T>(o: T): T {
  if (isPlainObject(o)) for (const v of Object.values(o)) deepFreeze(v);
  return Object.freeze(o);
}
