// Heart-failure risk status and the hf_decompensation alert. Status = highest daily score of the
// last 30 days (TriageHF); kept as the last day at each level, which answers the 30-day maximum
// in O(1). The alert opens when a day reaches High and re-arms only after the score has stayed
// below the recovery level for recoveryDays days (HeartLogic hysteresis): one decompensation,
// one alert.
import type { EngineConfig } from '../config.ts';
import type { Detector } from '../detectors/context.ts';
import type { DeviceState, HfState, RiskStatus } from '../types.ts';
import { updateFluidIndex } from './fluid.ts';
import { explainHf, HF_INPUTS, hfScore, smoothInput } from './score.ts';

export const HF_EVENT_METRICS = new Set(['vt_episodes', 'vf_episodes', 'shocks_delivered']);

export function newHfState(): HfState {
  return {
    reference: null, fluidIndex: 0, impedanceDays: 0, lastImpedanceDay: null, inputs: {},
    lastVentricularDay: null, lastMediumDay: null, lastHighDay: null, latched: false,
    lastScoreDay: null, lastScore: 0, daysBelowRecovery: 0,
  };
}

export function riskStatus(state: DeviceState, day: number, config: EngineConfig): RiskStatus {
  const within = (d: number | null): boolean => d !== null && day - d < config.hf.riskWindowDays;
  return within(state.hf.lastHighDay) ? 'High' : within(state.hf.lastMediumDay) ? 'Medium' : 'Low';
}

export const hfDecompensation: Detector = ({ reading, day, state, config }) => {
  const hf = state.hf;
  const { metric, value } = reading;
  if (metric === 'thoracic_impedance') {
    updateFluidIndex(hf, value, day, config);
    smoothInput(state, metric, value, day, config);
  } else if (HF_INPUTS.has(metric)) smoothInput(state, metric, value, day, config);
  else if (HF_EVENT_METRICS.has(metric) && value > 0) hf.lastVentricularDay = day;
  else return null;

  closeDays(hf, day, config);
  const score = hfScore(state, day, reading.at, config);
  hf.lastScore = Math.max(hf.lastScore, score);
  if (score >= config.hf.mediumLevel) hf.lastMediumDay = day;
  if (score < config.hf.highLevel) return null;
  hf.lastHighDay = day;

  const high = hf.fluidIndex >= config.hf.highPriorityFactor * config.hf.fluidThreshold;
  const priority = high ? 'high' : config.priorities.hf_decompensation;
  // While latched, speak again only to raise an alert still open to high priority.
  if (hf.latched && !(high && state.open.hf_decompensation === 'medium')) return null;
  hf.latched = true;
  hf.daysBelowRecovery = 0;
  const { summary, evidence } = explainHf(state, day, reading.at, config);
  return {
    kind: 'hf_decompensation', priority, summary, evidence: { ...evidence, riskStatus: 'High' },
    score: Math.round(score * 100) / 100,
  };
};

/** Closes the previous day's score when a new day starts, counting days below recovery. */
function closeDays(hf: HfState, day: number, config: EngineConfig): void {
  if (hf.lastScoreDay === day) return;
  if (hf.lastScoreDay !== null) {
    // Days with no HF reading at all count as neither below nor above.
    hf.daysBelowRecovery = hf.lastScore < config.hf.recoveryLevel ? hf.daysBelowRecovery + 1 : 0;
    if (hf.latched && hf.daysBelowRecovery >= config.hf.recoveryDays) hf.latched = false;
  }
  hf.lastScoreDay = day;
  hf.lastScore = 0;
}
