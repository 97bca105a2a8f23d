// CRT pacing loss (TriageHF): below 90 % on 5 of 7 consecutive days. The last seven days are a
// bit mask shifted by the days elapsed, so a day without a report counts as not low.
import type { Detector } from './context.ts';

export const crtPacingLoss: Detector = ({ reading, config, state, day }) => {
  if (reading.metric !== 'crt_pacing_pct') return null;
  const { minPct, lowDays, ofDays } = config.crt;
  const crt = state.crt;
  const full = (1 << ofDays) - 1;
  if (crt.lastDay === null || day - crt.lastDay >= ofDays) crt.lowMask = 0;
  else if (day > crt.lastDay) crt.lowMask = (crt.lowMask << (day - crt.lastDay)) & full;
  crt.lastDay = Math.max(crt.lastDay ?? day, day);
  // A second report of the same day replaces the first: the bit reflects the latest value.
  crt.lowMask = reading.value < minPct ? crt.lowMask | 1 : crt.lowMask & ~1;
  const low = popcount(crt.lowMask);
  if (reading.value >= minPct || low < lowDays) return null;
  return { kind: 'crt_pacing_loss', priority: config.priorities.crt_pacing_loss,
    summary: `CRT pacing ${reading.value} %: below ${minPct} % on ${low} of the last ${ofDays} days`,
    evidence: { crtPacingPct: reading.value, lowDays: low, ofDays, threshold: minPct } };
};

function popcount(x: number): number {
  let n = 0;
  for (let v = x; v !== 0; v &= v - 1) n++;
  return n;
}
