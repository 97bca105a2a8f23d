// Types shared by the generator, the scenarios and the gateway client.
import type { AlertKind } from '../src/domain/types.ts';

export type { AlertKind };

/**
 * How much of real devices' background behaviour the generator adds. `clean`: the original
 * profile (Gaussian day-independent noise, every patient alike). `calibrated`: background
 * variability drawn from published figures and calibrated against published real-world
 * rates (docs/simulator.md). `double`: the calibrated profile with every variability doubled.
 */
export type NoiseProfile = 'clean' | 'calibrated' | 'double';

export const NOISE_PROFILES: readonly NoiseProfile[] = ['clean', 'calibrated', 'double'];

export type DeviceType = 'pacemaker' | 'icd' | 'crt_d' | 'crt_p';
export type Vendor = 'MDT' | 'BSX' | 'ABT' | 'BIO';

/** A reading in the ingest contract's wire shape. */
export interface SimReading {
  readonly device: string;
  readonly seq: number;
  /** RFC 3339, UTC (`Z`): event time. */
  readonly at: string;
  readonly metric: string;
  readonly value: number;
}

/** One upload from one device: what a gateway receives and forwards together. */
export interface Transmission {
  readonly device: string;
  readonly patientId: string;
  readonly site: string;
  readonly kind: 'nightly' | 'event' | 'hourly';
  /** When the device measured the readings (epoch ms). */
  readonly atMs: number;
  /** When it reaches the gateway: later than atMs for a monitor that was unplugged. */
  readonly sentAt: number;
  /** True for an exact repeat of an earlier transmission (same seqs and content). */
  readonly duplicate: boolean;
  readonly readings: readonly SimReading[];
}

/** A patient's own normal values; every patient draws their own. */
export interface Baselines {
  readonly nightHeartRate: number;
  readonly dayHeartRateRise: number;
  readonly activity: number;
  readonly weekendActivityFactor: number;
  readonly hrv: number;
  readonly thoracicImpedance: number;
  readonly respiratoryRate: number;
  readonly rvPacingPct: number;
  readonly crtPacingPct: number;
  readonly raLeadImpedance: number;
  readonly rvLeadImpedance: number;
  readonly lvLeadImpedance: number;
  readonly shockImpedance: number;
  readonly raThreshold: number;
  readonly rvThreshold: number;
  readonly lvThreshold: number;
  readonly pWave: number;
  readonly rWave: number;
  /** Battery longevity at the start of the run, months. */
  readonly longevityMonths: number;
  readonly chargeTime: number;
  /** Probability per day of a trivial AF run (< 0.1 h); 0 for most patients. */
  readonly backgroundAfRate: number;
}

export interface Patient {
  readonly index: number;
  readonly id: string;
  readonly device: string;
  readonly type: DeviceType;
  readonly vendor: Vendor;
  readonly site: string;
  /** Nightly transmission time, minutes after UTC midnight. */
  readonly transmitMinute: number;
  readonly baselines: Baselines;
  /** Relative change per year of slowly drifting values (lead maturation, fitness, weight). */
  readonly drift: {
    readonly leadImpedance: number;
    readonly thoracicImpedance: number;
    readonly activity: number;
    readonly threshold: number;
  };
}

/** Alert kinds of the alert contract, used as ground-truth labels. */

export type ScenarioName =
  | 'hf_decompensation'
  | 'af_onset'
  | 'af_fast_rate'
  | 'ventricular_arrhythmia'
  | 'lead_fracture'
  | 'insulation_breach'
  | 'capture_threshold_rise'
  | 'battery_eri'
  | 'battery_rapid_depletion'
  | 'crt_pacing_loss'
  | 'device_silent'
  | 'noisy_night'
  | 'brief_af_run'
  | 'low_activity_week'
  | 'respiratory_infection'
  | 'diuretic_change'
  | 'home_congestion';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };

/** One injected event, as written to the ground-truth file. */
export interface TruthEvent {
  readonly patientId: string;
  readonly device: string;
  readonly site: string;
  /** The alert kind a correct engine raises; for a benign look-alike, the kind it imitates. */
  readonly kind: AlertKind;
  readonly scenario: ScenarioName;
  /** Benign look-alikes must not raise an alert. */
  readonly benign: boolean;
  /** RFC 3339: first day the abnormality shows in the readings. */
  readonly onset: string;
  /** RFC 3339: when it is over (or the end of the run if it persists). */
  readonly end: string;
  readonly params: { readonly [k: string]: JsonValue };
}
