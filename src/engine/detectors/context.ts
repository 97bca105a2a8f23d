// What every detector sees: the reading, its metric, the device's baseline for that metric as
// it was BEFORE this reading, and the device state it may update (its own part only).
import type { MetricDef } from '../../domain/types.ts';
import type { EngineConfig } from '../config.ts';
import type { DeviceState, EngineReading, Finding, MetricBaseline } from '../types.ts';

export interface DetectorInput {
  readonly reading: EngineReading;
  readonly def: MetricDef;
  readonly day: number;
  readonly baseline: MetricBaseline | undefined;
  /** True when the baseline has passed the learning period: trend rules may speak. */
  readonly learned: boolean;
  /** The metric is settling after an implant or a lead revision (lifecycle.ts): no baseline yet. */
  readonly settling: boolean;
  readonly state: DeviceState;
  readonly config: EngineConfig;
}

export type Detector = (input: DetectorInput) => Finding | null;
