// Heart-failure risk status and the hf_decompensation alert. Each daily reading updates its
// input and the day is assessed again (assess.ts). Status = highest daily level of the last 30
// days (TriageHF), kept as the last UTC day at each level, which answers the 30-day maximum in
// O(1). The alert opens when persistDays of the last persistOf monitoring days were High, and
// re-arms only after the daily score has stayed below the recovery level for recoveryDays days
// (HeartLogic's hysteresis): one decompensation, one alert, however the score flickers.
import type { EngineConfig } from '../config.ts';
import type { Detector } from '../detectors/context.ts';
import type { DeviceState, HfState, HfStatus, RiskStatus } from '../types.ts';
import { assess } from './assess.ts';
import { explainHf } from './explain.ts';
import { anchorImpedance } from '../lifecycle.ts';
import { updateFluidIndex } from './fluid.ts';
import { takeInput } from './inputs.ts';

/** Daily metrics of the risk; thoracic_impedance also feeds the fluid index. */
export const HF_INPUTS = new Set([
  'thoracic_impedance', 'night_heart_rate', 'activity', 'hrv_sdaam', 'respiratory_rate', 'af_burden', 'crt_pacing_pct',
]);
export const HF_EVENT_METRICS = new Set(['vt_episodes', 'vf_episodes', 'shocks_delivered', 'af_ventricular_rate']);

const HOUR_MS = 3_600_000;

export function newHfState(): HfState {
  return {
    day: -1, dayStartAt: null, reference: null, fluidIndex: 0, impedanceDays: 0, lastImpedanceDay: null, inputs: {},
    afRate: null, lastVentricularAt: null, lastMediumDay: null, lastHighDay: null, highMask: 0, dayScore: 0,
    daysBelowRecovery: 0, latched: false, latchedDay: 0, lastScore: 0, sensors: 0, impedance: false,
  };
}

export function riskStatus(state: DeviceState, day: number, config: EngineConfig): RiskStatus {
  const within = (d: number | null): boolean => d !== null && day - d < config.hf.riskWindowDays;
  return within(state.hf.lastHighDay) ? 'High' : within(state.hf.lastMediumDay) ? 'Medium' : 'Low';
}

/**
 * The status a clinician sees: as riskStatus, except that a device that has not given enough
 * to judge (no thoracic impedance with a learned baseline, or fewer than minSensors sensors)
 * reads insufficient_data instead of a reassuring Low.
 */
export function hfStatus(state: DeviceState, day: number, config: EngineConfig): HfStatus {
  const risk = riskStatus(state, day, config);
  if (risk !== 'Low') return risk;
  const hf = state.hf;
  return hf.impedance && hf.sensors >= config.hf.minSensors ? 'Low' : 'insufficient_data';
}

function popcount3(mask: number, of: number): number {
  let n = 0;
  for (let i = 0; i < of; i++) n += (mask >> i) & 1;
  return n;
}

export const hfDecompensation: Detector = ({ reading, day: utcDay, state, config, settling }) => {
  const hf = state.hf;
  const { metric, value, at } = reading;
  if (HF_INPUTS.has(metric)) {
    // A new pocket's impedance: not yet counted after an implant, collected for the new level
    // after a generator change (lifecycle.ts).
    if (metric === 'thoracic_impedance' && (settling || anchorImpedance(state, value, at))) {
      return null;
    }
    startDay(hf, at, config);
    if (metric === 'thoracic_impedance') updateFluidIndex(hf, value, hf.day, config);
    // An episode's own days would widen the spread it is measured against and hide the next one:
    // the baseline holds still while the alert is latched, for at most baselineFreezeDays, after
    // which a lasting change (a new diuretic dose) becomes the new normal.
    const learn = !hf.latched || hf.day - hf.latchedDay > config.hf.baselineFreezeDays;
    takeInput(hf.inputs, metric, value, hf.day, config.hf, learn);
  } else if (metric === 'af_ventricular_rate') {
    if (hf.day >= 0) hf.afRate = { day: hf.day, value };
    return null;
  } else if (HF_EVENT_METRICS.has(metric) && value > 0) {
    hf.lastVentricularAt = at;
  } else return null;
  if (hf.day < 0) return null;

  const a = assess(state, at, config);
  hf.lastScore = a.score;
  hf.sensors = a.available;
  hf.impedance = a.impedance;
  if (a.score > hf.dayScore) hf.dayScore = a.score;
  if (a.score >= config.hf.mediumLevel || a.active > 0 || a.high) hf.lastMediumDay = utcDay;
  if (!a.high) return null;
  hf.highMask |= 1;
  hf.daysBelowRecovery = 0;
  // One High day reads Medium; High is what persists (the day the alert would open or holds).
  const persists = popcount3(hf.highMask, config.hf.persistOf) >= config.hf.persistDays;
  if (persists || hf.latched) hf.lastHighDay = utcDay;

  const high = a.fluid >= config.hf.highPriorityFactor * config.hf.fluidThreshold;
  const priority = high ? 'high' : config.priorities.hf_decompensation;
  if (hf.latched) {
    // While latched, speak again only to raise an alert still open to high priority.
    if (!(high && state.open.hf_decompensation === 'medium')) return null;
  } else if (!persists) return null;
  if (!hf.latched) hf.latchedDay = hf.day;
  hf.latched = true;
  const { summary, evidence } = explainHf(state, at, a, config);
  return { kind: 'hf_decompensation', priority, summary, evidence, score: Math.round(a.score * 100) / 100 };
};

/**
 * Starts the next monitoring day when a daily reading comes dayGapHours after the current
 * day's first one, closing the current day: its High bit shifts into the persistence mask, and
 * its score counts towards recovery.
 */
function startDay(hf: HfState, at: number, config: EngineConfig): void {
  if (hf.dayStartAt !== null && at - hf.dayStartAt < config.hf.dayGapHours * HOUR_MS) return;
  if (hf.dayStartAt !== null) {
    hf.daysBelowRecovery = hf.dayScore < config.hf.recoveryLevel ? hf.daysBelowRecovery + 1 : 0;
    if (hf.latched && hf.daysBelowRecovery >= config.hf.recoveryDays) hf.latched = false;
  }
  hf.highMask = (hf.highMask << 1) & 0xff;
  hf.day += 1;
  hf.dayStartAt = at;
  hf.dayScore = 0;
}
