// The pure anomaly engine's public surface. No IO, no clock: time is the reading's `at`.
export { DEFAULT_CONFIG, mergeConfig } from './config.ts';
export type { ConnectivityConfig, DeepPartial, EngineConfig } from './config.ts';
export { endedSilence, readCadence, silenceLimit, typicalIntervalHours } from './cadence.ts';
export type { SilenceLimit } from './cadence.ts';
export { connectivityCheck, streamConnectivityCheck } from './connectivity.ts';
export type { SilentDevice, StreamLastSeen, StreamSilentDevice } from './connectivity.ts';
export { hfStatus, riskStatus } from './hf/risk.ts';
export { applyDue, applyLifecycle, carryOver, LEAD_METRICS, LEADS, LIFECYCLE_KINDS } from './lifecycle.ts';
export type { Lead, LifecycleEvent, LifecycleKind } from './lifecycle.ts';
export { comesAfter } from './order.ts';
export { overrideProblems } from './override.ts';
export { acknowledgeResolved } from './policy.ts';
export { processReading } from './process.ts';
export { newDeviceState, STATE_VERSION } from './state.ts';
export type {
  AlertDecision, AlertKind, CadenceState, DeviceState, EngineReading, Evidence, HfStatus, Priority, ProcessResult, RiskStatus, SilenceEpisode,
} from './types.ts';
