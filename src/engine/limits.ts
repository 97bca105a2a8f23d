// Clinical floors of the hard-limit rules: bounds no site or patient override may pass. A
// setting can make these rules more sensitive, never deaf: every VT/VF episode and every
// shock alerts at high priority, a lead far out of its safe range always alerts, a battery at
// elective replacement always alerts. Heart-failure and trend settings stay free: they are
// the clinic's trade between sensitivity and workload (docs/engine.md). connectivity_loss's
// cadence settings are bounded so that no device goes unwatched for months.
import { MAX_EXPECTED_HOURS } from './cadence.ts';
import type { Priority } from './types.ts';

export interface Bound {
  /** 0 is allowed besides the range (the setting is off). */
  readonly orZero?: boolean;
  readonly min?: number;
  readonly max?: number;
  /** For priorities: the lowest allowed. */
  readonly atLeast?: Priority;
  readonly why: string;
}

export const HARD_LIMITS: Readonly<Record<string, Bound>> = Object.freeze({
  'ventricular.minEpisodes': { min: 1, max: 1, why: 'every VT/VF episode alerts' },
  'shock.minShocks': { min: 1, max: 1, why: 'every shock alerts' },
  'lead.pacingMin': { min: 150, max: 300, why: 'a pacing lead under 200 Ohm is an insulation failure' },
  'lead.pacingMax': { min: 1500, max: 3000, why: 'a pacing lead over 2000 Ohm is a conductor fracture' },
  'lead.shockMin': { min: 10, max: 30, why: 'a shock lead under 20 Ohm is a short' },
  'lead.shockMax': { min: 100, max: 250, why: 'a shock lead over 200 Ohm may not deliver a shock' },
  'lead.jumpPct': { min: 10, max: 100, why: 'a fracturing lead\'s impedance roughly doubles' },
  'battery.eriStatus': { max: 3, why: 'elective replacement always alerts' },
  'battery.eosStatus': { max: 4, why: 'end of service always alerts' },
  'capture.maxVolts': { max: 5, why: 'a threshold over 5 V leaves no safety margin on most devices' },
  'priorities.ventricular_arrhythmia': { atLeast: 'high', why: 'VT/VF is reviewed now' },
  'priorities.shock_delivered': { atLeast: 'high', why: 'a shock is reviewed now' },
  'priorities.lead_integrity': { atLeast: 'high', why: 'a failing lead is reviewed now' },
  'priorities.battery': { atLeast: 'medium', why: 'a battery at replacement is reviewed the next working day' },
  'connectivity.silentHours': { min: 24, max: MAX_EXPECTED_HOURS, why: 'a device silent longer than its cadence allows is looked for; a floor beyond 45 days would leave it unwatched' },
  'connectivity.expectedHours': {
    orZero: true, min: 24, max: MAX_EXPECTED_HOURS,
    why: 'devices are scheduled daily to monthly; 0 learns the cadence, and no device goes unwatched for more than 90 days',
  },
  'connectivity.cadenceFactor': { min: 1.5, max: 3, why: 'a silence of one missed transmission and the next one due' },
  'connectivity.transmissionGapHours': { min: 1, max: 20, why: 'one upload\'s readings come within minutes; daily ones are 24 h apart' },
  'connectivity.cadenceIntervals': { min: 3, max: 30, why: 'a median of a few recent intervals' },
  'connectivity.cadenceMinIntervals': { min: 2, max: 30, why: 'a typical interval needs more than one' },
});

const RANK: Record<Priority, number> = { low: 0, medium: 1, high: 2 };

/** The problem with `value` at `path`, or null when it is within its clinical floor. */
export function limitProblem(path: string, value: unknown): string | null {
  const b = HARD_LIMITS[path];
  if (!b) return null;
  if (typeof value === 'number' && !(b.orZero && value === 0)) {
    if (b.min !== undefined && value < b.min) return `${path} must be at least ${b.min}${b.orZero ? ' (or 0)' : ''} (clinical floor: ${b.why})`;
    if (b.max !== undefined && value > b.max) return `${path} must be at most ${b.max} (clinical floor: ${b.why})`;
  }
  if (typeof value === 'string' && b.atLeast && value in RANK && RANK[value as Priority] < RANK[b.atLeast]) {
    return `${path} must be ${b.atLeast === 'high' ? 'high' : `${b.atLeast} or high`} (clinical floor: ${b.why})`;
  }
  return null;
}
