// Device lifecycle events in the simulator: the ground-truth record of each (what a clinic would
// record in the service, src/store/lifecycle.ts) and the drawn physiology a device shows after it.
import type { Lead, LifecycleKind } from '../../src/engine/index.ts';
import type { JsonValue } from '../types.ts';

export type { Lead, LifecycleKind };

/** The leads whose values a revision or a vector change moves (shock is moved with an ICD's RV lead). */
export type PacingLead = 'ra' | 'rv' | 'lv';

/**
 * One lifecycle event as ground truth. It is not something an engine should alert on: alerts
 * its physiology causes are false alerts unless a real scenario explains them.
 */
export interface LifecycleTruth {
  /** Unique in the cohort; events are ordered by (at, id), as the engine takes them. */
  readonly id: number;
  readonly patientId: string;
  /** The serial it is recorded on: for a generator change the NEW generator's. */
  readonly device: string;
  readonly site: string;
  readonly kind: LifecycleKind;
  /** RFC 3339 event time, and the run's day (0-based) it falls on. */
  readonly at: string;
  readonly day: number;
  /** implant, lead_revision, reprogramming of a vector: the leads concerned. */
  readonly leads?: readonly Lead[];
  /** reprogramming of an output: the metrics whose baselines restart. */
  readonly metrics?: readonly string[];
  /** generator_change: the serial it replaces (which gets an `explant` at the same time). */
  readonly replaces?: string;
  /** Why: eri, battery_eri / battery_rapid_depletion (a scenario's), lead_fracture, ... */
  readonly reason: string;
  /** The drawn physiology (new levels, offsets, silent days). */
  readonly params: { readonly [k: string]: JsonValue };
}

/** A generator change as the device simulator applies it. */
export interface GeneratorChange {
  readonly kind: 'generator_change';
  readonly day: number;
  readonly at: number;
  readonly oldSerial: string;
  readonly newSerial: string;
  /** Days day+1 .. day+silentDays send nothing. */
  readonly silentDays: number;
  /** The new device's first seq. */
  readonly seqStart: number;
  /** The new battery's projected longevity at the change, months. */
  readonly longevityMonths: number;
  readonly impedanceOffset: number;
  readonly pocketDip: number;
  readonly pocketTauDays: number;
  /** Set when the lifecycle drew the ERI itself (no battery scenario): the old battery's countdown. */
  readonly eri: { readonly day: number; readonly eosDay: number } | null;
}

/** A new lead, or a new pacing vector of the same lead: its metrics move to new levels. */
export interface LeadChange {
  readonly kind: 'lead_revision' | 'reprogramming';
  readonly day: number;
  readonly at: number;
  readonly lead: PacingLead;
  /** New level / the patient's own level of the lead, per metric kind. */
  readonly impedanceRatio: number;
  readonly thresholdRatio: number;
  /** Sensed amplitude (RA/RV revision), and shock impedance (an ICD's RV lead revised). */
  readonly sensingRatio: number | null;
  readonly shockRatio: number | null;
  /** Maturation of a new lead (0 for a vector change: its impedance is stable at once). */
  readonly impedanceAcute: number;
  readonly impedanceTauDays: number;
  readonly thresholdPeak: number;
  readonly thresholdPeakDay: number;
  /** A replaced fractured RV lead no longer oversenses: short V-V and NSVT as without the fault. */
  readonly clearsOversensing: boolean;
}

/** A higher pacing output: the projected longevity steps down. */
export interface OutputChange {
  readonly kind: 'output';
  readonly day: number;
  readonly at: number;
  readonly longevityFactor: number;
}

export type DeviceChange = GeneratorChange | LeadChange | OutputChange;
