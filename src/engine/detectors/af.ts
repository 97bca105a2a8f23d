// Atrial fibrillation: daily burden (TRENDS: >= 5.5 h/day doubles thromboembolic risk) and a
// fast ventricular rate on a day with real AF. Burden and rate of one day arrive in the same
// transmission in either order, so each remembers its day and the later one decides.
import { round1 } from '../score.ts';
import type { Detector } from './context.ts';

export const afBurden: Detector = ({ reading, config }) => {
  if (reading.metric !== 'af_burden' || reading.value < config.af.burdenHours) return null;
  return { kind: 'af_burden', priority: config.priorities.af_burden,
    summary: `AF burden ${round1(reading.value)} h in a day (threshold ${config.af.burdenHours} h)`,
    evidence: { afBurdenHours: round1(reading.value), threshold: config.af.burdenHours } };
};

export const afFastRate: Detector = ({ reading, config, state, day }) => {
  const af = state.af;
  if (reading.metric === 'af_burden') {
    af.burdenDay = day;
    af.burden = reading.value;
  } else if (reading.metric === 'af_ventricular_rate') {
    af.rateDay = day;
    af.rate = reading.value;
  } else return null;
  if (af.burdenDay !== day || af.rateDay !== day) return null;
  if (af.burden < config.af.fastMinBurdenHours || af.rate < config.af.fastRate) return null;
  return { kind: 'af_fast_ventricular_rate', priority: config.priorities.af_fast_ventricular_rate,
    summary: `Ventricular rate ${Math.round(af.rate)}/min during ${round1(af.burden)} h of AF (threshold ${config.af.fastRate}/min)`,
    evidence: { afVentricularRate: round1(af.rate), afBurdenHours: round1(af.burden), threshold: config.af.fastRate } };
};
