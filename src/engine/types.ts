// Types of the pure anomaly engine. The device state is plain JSON (numbers, strings, arrays,
// records) so the service can snapshot it and restore it with JSON.parse.
import type { AlertKind } from '../domain/types.ts';

export type { AlertKind };

export type Priority = 'low' | 'medium' | 'high';

export type RiskStatus = 'Low' | 'Medium' | 'High';

/** What the patient page shows: the risk status, or that the device gives too little to judge. */
export type HfStatus = RiskStatus | 'insufficient_data';

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

/**
 * One daily heart-failure input: the day's value, its short average, and the patient's own
 * baseline (median and spread of past short averages, recomputed once a day).
 */
export interface HfInput {
  /** Monitoring day (HfState.day) of `raw`. */
  day: number;
  raw: number;
  /** Short average up to the previous day, and including today. */
  prev: number;
  smooth: number;
  /** Past days' short averages, a ring of baselineDays; `pushed` counts every value ever put in. */
  ring: number[];
  pushed: number;
  /** Robust baseline from the ring without its newest guardDays: median, scaled MAD, values used. */
  median: number;
  spread: number;
  n: number;
}

export interface HfState {
  /** Monitoring day: one per nightly upload, counted by the uploads' spacing (see hf.dayGapHours). */
  day: number;
  dayStartAt: number | null;
  /** Adaptive thoracic impedance reference, Ohm (null until the first reading). */
  reference: number | null;
  fluidIndex: number;
  impedanceDays: number;
  lastImpedanceDay: number | null;
  inputs: Record<string, HfInput>;
  /** Latest ventricular rate in AF and its monitoring day. */
  afRate: { day: number; value: number } | null;
  lastVentricularAt: number | null;
  /** UTC days (of readings' `at`) last at Medium and at High, for the 30-day risk status. */
  lastMediumDay: number | null;
  lastHighDay: number | null;
  /** Bit i: monitoring day `day - i` reached High. */
  highMask: number;
  /** Highest daily score of the current monitoring day, and days in a row below recovery. */
  dayScore: number;
  daysBelowRecovery: number;
  /** Hysteresis latch: set when the alert opens, cleared after recovery. */
  latched: boolean;
  /** Monitoring day the latch was set. */
  latchedDay: number;
  /** Score of the latest assessment (what a risk change records). */
  lastScore: number;
  /** Physiological sensors available at the latest assessment, and whether impedance was one. */
  sensors: number;
  impedance: boolean;
  /**
   * After a generator change: the new can's impedance level is learnt until `untilAt` (sum and
   * count of its readings), then the carried impedance baseline and fluid reference shift by
   * the difference from `from`, the level before the change (lifecycle.ts).
   */
  anchor?: { untilAt: number; from: number | null; sum: number; n: number };
}

/** Recent intervals between a device's transmissions: its expected cadence (cadence.ts). */
export interface CadenceState {
  /** Event-time gaps, ms, before each of the latest transmissions, oldest first. */
  gaps: number[];
}

export interface DeviceState {
  version: 2;
  lastSeq: number | null;
  firstAt: number | null;
  lastAt: number | null;
  baselines: Record<string, MetricBaseline>;
  /** Kinds the engine considers open, with their current priority. */
  open: Partial<Record<AlertKind, Priority>>;
  /** Kinds a clinician resolved while their condition was present, with the priority resolved. */
  resolved: Partial<Record<AlertKind, Priority>>;
  /** UTC day of each kind's latest finding, resolved or not. */
  lastFinding: Partial<Record<AlertKind, number>>;
  battery: { maxStatus: number; longevity: DayRing };
  leads: Record<string, LeadState>;
  af: { burdenDay: number | null; burden: number; rateDay: number | null; rate: number };
  crt: { lastDay: number | null; lowMask: number };
  hf: HfState;
  /** Absent in snapshots saved before it existed; such a state learns from its next reading. */
  cadence?: CadenceState;
  /**
   * Metrics still settling after an implant, a generator change or a lead revision, with the
   * event time until which they do: their baselines do not learn and their trend rules stay
   * silent meanwhile (hard limits still speak). Absent when nothing settles.
   */
  settle?: Record<string, number>;
  /** The newest lifecycle event taken in (event time, then id): lifecycle.ts. */
  lifecycle?: { at: number; id: number };
  /** Event time of the explant: readings after it are taken in but decide nothing. */
  endedAt?: number;
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

/**
 * A past silence of a device: the gap between two consecutive readings (event time) at least
 * as long as the device's silence limit, found when the later one is taken in. It is history,
 * not an alert: whether the silence was alerted while it lasted is the connectivity check's
 * part (connectivity.ts).
 */
export interface SilenceEpisode {
  /** The last reading before the gap. */
  readonly fromAt: number;
  readonly fromSeq: number;
  /** The reading that ended it. */
  readonly toAt: number;
  readonly toSeq: number;
  /** The silence limit the device was held to (cadence.ts silenceLimit, before this gap), hours. */
  readonly limitHours: number;
}

export interface ProcessResult {
  readonly state: DeviceState;
  readonly score: number;
  readonly decisions: readonly AlertDecision[];
  /** The silence this reading ended, if it ended one. */
  readonly silence: SilenceEpisode | null;
}
