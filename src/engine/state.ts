// The state of a device the engine has never seen: no baselines, nothing open.
import type { EngineConfig } from './config.ts';
import { newBatteryState } from './detectors/battery.ts';
import { newHfState } from './hf/risk.ts';
import type { DeviceState } from './types.ts';

export function newDeviceState(_config?: EngineConfig): DeviceState {
  return {
    version: 1, lastSeq: null, firstAt: null, lastAt: null, baselines: {}, open: {},
    battery: newBatteryState(), leads: {},
    af: { burdenDay: null, burden: 0, rateDay: null, rate: 0 },
    crt: { lastDay: null, lowMask: 0 },
    hf: newHfState(),
  };
}

