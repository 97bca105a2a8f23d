// Chooses which patients get which scenario, and when.
import type { Rng } from '../prng.ts';
import type { RealismParams } from '../realism/params.ts';
import type { NoiseProfile, Patient, ScenarioName } from '../types.ts';
import { briefAfRun, deviceSilent, lowActivityWeek, noisyNight } from './benign.ts';
import { afFastRate, afOnset, hfDecompensation, ventricularArrhythmia } from './clinical.ts';
import { diureticChange, homeCongestion, respiratoryInfection } from './confounders.ts';
import { HF_EVENTS_PER_YEAR, hfDecompensationCalibrated } from './hf-calibrated.ts';
import {
  batteryEri, batteryRapidDepletion, captureThresholdRise, crtPacingLoss, insulationBreach, leadFracture,
} from './hardware.ts';
import type { ScenarioDef, ScenarioInstance } from './types.ts';

export const SCENARIOS: readonly ScenarioDef[] = Object.freeze([
  hfDecompensation, afOnset, afFastRate, ventricularArrhythmia, leadFracture, insulationBreach,
  captureThresholdRise, batteryEri, batteryRapidDepletion, crtPacingLoss, deviceSilent,
  noisyNight, briefAfRun, lowActivityWeek,
  // Last, with share 0 by default: the clean profile's plan and draws stay as they were.
  respiratoryInfection, diureticChange, homeCongestion,
]);

export const SCENARIO_NAMES: readonly ScenarioName[] = SCENARIOS.map((s) => s.name);

/** Share of eligible patients per scenario when the caller does not say. */
export const DEFAULT_SHARES: Readonly<Record<ScenarioName, number>> = Object.freeze(
  Object.fromEntries(SCENARIOS.map((s) => [s.name, s.share])) as Record<ScenarioName, number>,
);

/**
 * Default shares of a profile. The calibrated ones add the confounders (every eligible patient
 * is exposed; each draws its own number of episodes) and set heart-failure events to the
 * real-world rate of about 0.15 per HF-monitored patient-year over the run's length.
 */
export function profileShares(profile: NoiseProfile, days: number): Readonly<Partial<Record<ScenarioName, number>>> {
  if (profile === 'clean') return DEFAULT_SHARES;
  return Object.freeze({
    ...DEFAULT_SHARES,
    hf_decompensation: Math.min(1, (HF_EVENTS_PER_YEAR * days) / 365),
    respiratory_infection: 1,
    diuretic_change: 1,
    home_congestion: 1,
  });
}

/** Days before a scenario may start: the engine's 30-day baselines need history first. */
export const WARMUP_DAYS = 35;

export interface PlanOptions {
  readonly days: number;
  readonly start: number;
  readonly shares: Readonly<Partial<Record<ScenarioName, number>>>;
  /** The calibrated background, when on: calibrated variants of some scenarios. */
  readonly realism?: RealismParams | null;
  /** First day a patient's device reports (0 unless implanted during the run). */
  readonly firstDay?: (p: Patient) => number;
}

/**
 * Returns each patient's scenario instances, indexed like `patients`. A scenario with a
 * positive share reaches at least one eligible patient, so small demo cohorts show every kind;
 * patients without a scenario yet are preferred, so ground-truth events rarely overlap.
 */
export function planScenarios(patients: readonly Patient[], rng: Rng, options: PlanOptions): ScenarioInstance[][] {
  const plan: ScenarioInstance[][] = patients.map(() => []);
  const used = new Set<number>();
  for (const base of SCENARIOS) {
    const def = options.realism && base === hfDecompensation ? hfDecompensationCalibrated : base;
    const share = options.shares[def.name] ?? 0;
    if (!(share > 0) || options.days < 7) continue;
    const r = rng.fork('plan', def.name);
    const pool = r.shuffle(patients.filter((p) => def.eligible(p)));
    if (pool.length === 0) continue;
    const n = Math.min(pool.length, Math.max(1, Math.round(share * pool.length)));
    const ordered = [...pool.filter((p) => !used.has(p.index)), ...pool.filter((p) => used.has(p.index))];
    const lo = Math.min(WARMUP_DAYS, Math.floor(options.days / 4));
    const hi = Math.max(lo, options.days - def.span - 1);
    for (const patient of ordered.slice(0, n)) {
      used.add(patient.index);
      const pr = r.fork(patient.index);
      const first = options.firstDay?.(patient) ?? 0;
      const onsetDay = first > 0 ? pr.int(Math.min(first + lo, hi), hi) : pr.int(lo, hi);
      const realism = options.realism ? { realism: options.realism, earliestDay: first } : {};
      const instance = def.create({ patient, rng: pr, onsetDay, days: options.days, start: options.start, ...realism });
      plan[patient.index]?.push(instance);
    }
  }
  return plan;
}
