// Battery: alert on the device's own status, never on volts (thresholds differ by chemistry and
// vendor), plus rapid depletion seen in the longevity estimate.
import { newRing, ringGet, ringSet } from '../day-ring.ts';
import { round1 } from '../score.ts';
import type { DayRing, Finding, Priority } from '../types.ts';
import type { Detector } from './context.ts';

/** Long enough to look back a 30-day window and a few missing nights beyond it. */
export const LONGEVITY_RING_DAYS = 36;

export function newBatteryState(): { maxStatus: number; longevity: DayRing } {
  return { maxStatus: 0, longevity: newRing(LONGEVITY_RING_DAYS) };
}

export const battery: Detector = ({ reading, day, state, config }) => {
  const cfg = config.battery;
  if (reading.metric === 'battery_status') {
    // Only a step up is news: a device at ERI reports 3 every night until replaced.
    const risen = reading.value > state.battery.maxStatus;
    state.battery.maxStatus = Math.max(state.battery.maxStatus, reading.value);
    if (!risen || reading.value < cfg.eriStatus) return null;
    const eos = reading.value >= cfg.eosStatus;
    return {
      kind: 'battery',
      priority: eos ? 'high' : config.priorities.battery,
      summary: eos ? 'Battery at end of service (EOS)' : 'Battery at elective replacement (ERI)',
      evidence: { batteryStatus: reading.value },
    };
  }
  if (reading.metric === 'battery_longevity') return longevityDrop(reading.value, day, state.battery.longevity, cfg, config.priorities.battery);
  return null;
};

function longevityDrop(
  months: number, day: number, ring: DayRing,
  cfg: { longevityDropMonths: number; longevityWindowDays: number }, priority: Priority,
): Finding | null {
  // Compare with the value the window's length ago, or the nearest later day that was reported
  // (a lost night must not hide a depletion); a handful of slots, not a scan of the window.
  let before: number | undefined;
  let span = 0;
  for (let back = cfg.longevityWindowDays; back >= cfg.longevityWindowDays - 5 && before === undefined; back--) {
    before = ringGet(ring, day - back);
    span = back;
  }
  ringSet(ring, day, months);
  if (before === undefined || before - months < cfg.longevityDropMonths) return null;
  const drop = round1(before - months);
  return {
    kind: 'battery',
    priority,
    summary: `Battery longevity fell ${drop} months in ${span} days (rapid depletion)`,
    evidence: { longevityDropMonths: drop, windowDays: span, longevityMonths: round1(months) },
  };
}
