// Shared domain types. Types only: no runtime code lives here.

export type MetricKind = 'sample' | 'daily' | 'status' | 'count';

export interface MetricDef {
  /** Stable small integer stored in the readings table. */
  readonly id: number;
  readonly name: string;
  /** UCUM unit, exactly as the contract spells it. */
  readonly unit: string;
  readonly kind: MetricKind;
  readonly validMin: number;
  readonly validMax: number;
  readonly typicalLow: number;
  readonly typicalHigh: number;
  /** IEEE 11073-10103 numeric code, when the metric has one. */
  readonly mdcCode: string | null;
  /** IEEE 11073-10103 reference id (MDC_IDC_...), when the metric has one. */
  readonly mdcRef: string | null;
  readonly meaning: string;
}

/** A reading that passed validation: what is stored and scored. */
export interface Reading {
  /** Device identity as the gateway sends it (serial-like string). */
  readonly device: string;
  readonly seq: number;
  /** Event time, epoch milliseconds. */
  readonly at: number;
  /** Metric name from the vocabulary. */
  readonly metric: string;
  readonly value: number;
}

export type ReadingRejectCode =
  | 'bad_reading'
  | 'unknown_metric'
  | 'unit_mismatch'
  | 'out_of_range'
  | 'future_timestamp'
  | 'seq_conflict'
  | 'forbidden_device';

export interface Rejection {
  readonly index: number;
  readonly code: ReadingRejectCode;
  readonly message: string;
}

/** The alert kinds of alerts contract v1. */
export type AlertKind =
  | 'ventricular_arrhythmia'
  | 'shock_delivered'
  | 'lead_integrity'
  | 'capture_threshold'
  | 'battery'
  | 'af_burden'
  | 'af_fast_ventricular_rate'
  | 'crt_pacing_loss'
  | 'hf_decompensation'
  | 'connectivity_loss';
