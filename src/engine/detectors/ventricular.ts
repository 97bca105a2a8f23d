// Hard limits on therapy and arrhythmia counters: they speak from the first reading, since a
// single VT/VF episode or shock is what a device clinic reviews now (VT/VF alerts ~79 %
// actionable).
import type { Detector } from './context.ts';

export const ventricularArrhythmia: Detector = ({ reading, config }) => {
  if (reading.metric !== 'vt_episodes' && reading.metric !== 'vf_episodes') return null;
  if (reading.value < config.ventricular.minEpisodes) return null;
  const type = reading.metric === 'vt_episodes' ? 'VT' : 'VF';
  return {
    kind: 'ventricular_arrhythmia',
    priority: config.priorities.ventricular_arrhythmia,
    summary: `${reading.value} ${type} episode${reading.value === 1 ? '' : 's'} reported`,
    evidence: { [reading.metric === 'vt_episodes' ? 'vtEpisodes' : 'vfEpisodes']: reading.value },
  };
};

export const shockDelivered: Detector = ({ reading, config }) => {
  if (reading.metric !== 'shocks_delivered' || reading.value < config.shock.minShocks) return null;
  return {
    kind: 'shock_delivered',
    priority: config.priorities.shock_delivered,
    summary: `${reading.value} shock${reading.value === 1 ? '' : 's'} delivered`,
    evidence: { shocksDelivered: reading.value },
  };
};
