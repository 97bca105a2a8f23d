// OptiVol-style fluid index from daily thoracic impedance (Medtronic; MID-HeFT 2005): a
// reference follows the daily value slowly; while the day is below it the index adds the
// shortfall; it resets to 0 when the day crosses back. Nothing accumulates during the first
// learningDays (OptiVol starts 34 days after implant), which only seed the reference.
import type { EngineConfig } from '../config.ts';
import type { HfState } from '../types.ts';

/** Folds one day's impedance into the index. A second reading of the same day is ignored. */
export function updateFluidIndex(hf: HfState, ohm: number, day: number, config: EngineConfig): void {
  if (hf.lastImpedanceDay !== null && day <= hf.lastImpedanceDay) return;
  hf.lastImpedanceDay = day;
  hf.impedanceDays += 1;
  if (hf.reference === null) {
    hf.reference = ohm;
    return;
  }
  const learning = hf.impedanceDays <= config.hf.learningDays;
  if (learning) {
    hf.reference += (ohm - hf.reference) / hf.impedanceDays;
    return;
  }
  const shortfall = hf.reference - ohm;
  hf.fluidIndex = shortfall > 0 ? hf.fluidIndex + shortfall : 0;
  // Slow down, quicker up: fluid loading must not be absorbed into the reference.
  const alpha = ohm < hf.reference ? config.hf.referenceAlphaDown : config.hf.referenceAlphaUp;
  hf.reference += alpha * (ohm - hf.reference);
}

export function fluidReady(hf: HfState, config: EngineConfig): boolean {
  return hf.impedanceDays > config.hf.learningDays;
}
