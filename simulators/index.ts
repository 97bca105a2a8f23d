// The simulator's public surface, for the service's demo mode and for tests.
export { createCohort, DEFAULT_START } from './cohort.ts';
export type { Cohort, CohortOptions, ResolvedCohortOptions } from './cohort.ts';
export { runSimulation } from './run.ts';
export type { Progress, SimulationOptions, SimulationSummary, Speed } from './run.ts';
export { DEFAULT_SHARES, SCENARIO_NAMES } from './scenarios/plan.ts';
export type { LifecycleTruth } from './lifecycle/types.ts';
export { DEFAULT_NOISE } from './device-sim.ts';
export type { NoiseOptions } from './device-sim.ts';
export { NOISE_PROFILES } from './types.ts';
export { DEVICE_MIX, NIGHTLY_METRICS, metricSet } from './device-types.ts';
export { GatewayClient } from './gateway/client.ts';
export type { GatewayClientOptions, GatewayStats } from './gateway/client.ts';
export { GatewayFatalError } from './gateway/errors.ts';
export type {
  AlertKind, Baselines, DeviceType, NoiseProfile, Patient, ScenarioName, SimReading, Transmission, TruthEvent, Vendor,
} from './types.ts';
