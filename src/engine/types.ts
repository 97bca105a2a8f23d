// Types of the pure anomaly engine. The device state is plain JSON (numbers, strings, arrays,
// records) so the service can snapshot it and restore it with JSON.parse.
import type { AlertKind } from '../domain/types.ts';

export type { AlertKind };

export type Priority = 'low' | 'medium' | 'high';

export type RiskStatus = 'Low' | 'Medium' | 'High';

/** One reading of one device, as the engine needs it. */
export interface EngineReading {
  readonly seq: number;
  /** Event time, epoch milliseconds: the engine's only clock. */
  readonly at: number;
  /** Metric name from the vocabulary (src/domain/metrics.ts). */
  readonly metric: string;
  readonly value: number;
}

export type Evidence = Record<string, number | string>;

export interface AlertDecision {
  readonly kind: AlertKind;
  readonly priority: Priority;
  /** 'open' when the engine holds no open alert of this kind for the device, else 'update'. */
  readonly action: 'open' | 'update';
  readonly trigger: { readonly seq: number; readonly metric: string; readonly value: number; readonly at: number };
  readonly summary: string;
  readonly evidence: Evidence;
  readonly score: number;
}

/** Exponentially weighted mean and variance of one metric of one device. */
export interface MetricBaseline {
  n: number;
  mean: number;
  variance: number;
  firstAt: number;
}

/** A ring of daily values: slot = day % length; a slot counts only when its day matches. */
export interface DayRing {
  days: number[];
  values: number[];
}

export interface LeadState {
  /** Last day each Lead Integrity criterion was met (null = never). */
  impedanceDay: number | null;
  nsvtDay: number | null;
  shortVvDay: number | null;
  shortVv: DayRing;
}

export interface HfState {
  /** Adaptive thoracic impedance reference, Ohm (null until the first reading). */
  reference: number | null;
  fluidIndex: number;
  impedanceDays: number;
  lastImpedanceDay: number | null;
  /** Latest daily value of each HF input and the day it belongs to. */
  inputs: Record<string, { day: number; value: number }>;
  lastVentricularDay: number | null;
  lastMediumDay: number | null;
  lastHighDay: number | null;
  /** Hysteresis latch: set on entering High, cleared after recovery. */
  latched: boolean;
  lastScoreDay: number | null;
  lastScore: number;
  daysBelowRecovery: number;
}

export interface DeviceState {
  version: 1;
  lastSeq: number | null;
  firstAt: number | null;
  lastAt: number | null;
  baselines: Record<string, MetricBaseline>;
  /** Kinds the engine considers open, with their current priority. */
  open: Partial<Record<AlertKind, Priority>>;
  battery: { maxStatus: number; longevity: DayRing };
  leads: Record<string, LeadState>;
  af: { burdenDay: number | null; burden: number; rateDay: number | null; rate: number };
  crt: { lastDay: number | null; lowMask: number };
  hf: HfState;
}

/** What a detector proposes; the alert policy turns it into an open or an update. */
export interface Finding {
  readonly kind: AlertKind;
  readonly priority: Priority;
  readonly summary: string;
  readonly evidence: Evidence;
  /** The alert's score when it is not the reading's own (the HF alert carries its daily score). */
  readonly score?: number;
}

export interface ProcessResult {
  readonly state: DeviceState;
  readonly score: number;
  readonly decisions: readonly AlertDecision[];
}
