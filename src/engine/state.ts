// The state of a device the engine has never seen: no baselines, nothing open.
import { newCadence } from './cadence.ts';
import type { EngineConfig } from './config.ts';
import { newBatteryState } from './detectors/battery.ts';
import { newHfState } from './hf/risk.ts';
import type { DeviceState } from './types.ts';

/** Bumped whenever the state's shape or meaning changes: older snapshots are then not restored. */
export const STATE_VERSION = 2;

export function newDeviceState(_config?: EngineConfig): DeviceState {
  return {
    version: STATE_VERSION, lastSeq: null, firstAt: null, lastAt: null, baselines: {}, open: {}, resolved: {}, lastFinding: {},
    battery: newBatteryState(), leads: {},
    af: { burdenDay: null, burden: 0, rateDay: null, rate: 0 },
    crt: { lastDay: null, lowMask: 0 },
    hf: newHfState(),
    cadence: newCadence(),
  };
}

