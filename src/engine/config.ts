// Every threshold, window and hysteresis of the engine, with defaults from the alert contract
// (version 1) and the published algorithms it names. Sites and clinicians override any subset.
import { DEFAULT_HF, type HfConfig } from './hf/config.ts';
import type { AlertKind, Priority } from './types.ts';

/** connectivity_loss: how long a device may be silent (cadence.ts). */
export interface ConnectivityConfig {
  /** The floor: no device is silent before this many hours (the contract's 48 h). */
  readonly silentHours: number;
  /** The device's scheduled interval between transmissions, hours; 0 = learn it from its readings. */
  readonly expectedHours: number;
  /** A device is silent after this many expected (or typical) intervals without a transmission. */
  readonly cadenceFactor: number;
  /** Readings this far after the previous one start a new transmission. */
  readonly transmissionGapHours: number;
  /** Intervals between transmissions kept to learn the typical one, and how many it needs. */
  readonly cadenceIntervals: number;
  readonly cadenceMinIntervals: number;
}

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
  readonly hf: HfConfig;
  readonly connectivity: ConnectivityConfig;
  /** A condition resolved while present opens again after this many days without a finding. */
  readonly rearmDays: number;
  /** Device lifecycle events (lifecycle.ts). */
  readonly lifecycle: {
    /** After an implant or a lead revision, the lead's baselines start learning this many days later. */
    readonly leadSettleDays: number;
    /** After an implant, thoracic impedance counts from this many days on (OptiVol: 34). */
    readonly pocketSettleDays: number;
    /** After a generator change, days of the new can's impedance that set its level. */
    readonly reanchorDays: number;
  };
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
  hf: DEFAULT_HF,
  connectivity: {
    silentHours: 48, expectedHours: 0, cadenceFactor: 2, transmissionGapHours: 12, cadenceIntervals: 10, cadenceMinIntervals: 4,
  },
  rearmDays: 3,
  lifecycle: { leadSettleDays: 60, pocketSettleDays: 34, reanchorDays: 14 },
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
