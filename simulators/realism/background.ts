// One device's calibrated background, day by day: wander, season, post-implant settling,
// permanent AF and background NSVT before the scenarios; outliers and sensor artefacts after
// them (they are measurement faults, not physiology); missed-night runs and local upload times.
import { DAY_MS } from '../time.ts';
import type { Rng } from '../prng.ts';
import type { Patient } from '../types.ts';
import { londonLocalToUtc } from './london-time.ts';
import type { RealismParams } from './params.ts';
import type { RealismTraits } from './traits.ts';
import { Ar1 } from './wander.ts';

const AF_RATE_WANDER = { sd: 3, tauDays: 7 };
/** Activity is about this fraction higher in midsummer and lower in midwinter than its mean. */
const SEASONAL_ACTIVITY = 0.1;
/** Day of year (0-based) of the activity peak: mid-July. */
const SEASON_PEAK_DOY = 196;

function dayOfYear(ms: number): number {
  const d = new Date(ms);
  return Math.floor((ms - Date.UTC(d.getUTCFullYear(), 0, 1)) / DAY_MS);
}

export class PatientRealism {
  private readonly wander = new Map<string, { ar: Ar1; relative: boolean }>();
  private awayUntil = -1;
  private artefactUntil = -1;
  private artefactFactor = 1;
  /** The mean ventricular rate of permanent AF drifts over days (medication, fluid, activity). */
  private readonly afRateWander: Ar1;

  constructor(
    readonly patient: Patient,
    readonly traits: RealismTraits,
    private readonly params: RealismParams,
    private readonly rng: Rng,
    metrics: readonly string[],
  ) {
    for (const m of metrics) {
      const w = params.wander[m];
      if (w) this.wander.set(m, { ar: new Ar1(rng, w.sd * traits.volatility, w.tauDays), relative: w.relative });
    }
    this.afRateWander = new Ar1(rng, AF_RATE_WANDER.sd * params.scale * traits.volatility, AF_RATE_WANDER.tauDays);
  }

  implanted(day: number): boolean {
    return day >= this.traits.implantDay;
  }

  /** Physiology and slow processes, applied to the day's undisturbed values. */
  background(day: number, dayStart: number, v: Record<string, number>): void {
    for (const [m, w] of this.wander) {
      const x = w.ar.step();
      const cur = v[m];
      if (cur === undefined) continue;
      v[m] = w.relative ? cur * (1 + x) : cur + x;
    }
    if (v.activity !== undefined) {
      v.activity *= 1 + SEASONAL_ACTIVITY * Math.cos((2 * Math.PI * (dayOfYear(dayStart) - SEASON_PEAK_DOY)) / 365.25);
    }
    this.settle(day - this.traits.implantDay, v);
    if (v.crt_pacing_pct !== undefined) v.crt_pacing_pct = Math.min(99.9, v.crt_pacing_pct);
    if (v.rv_pacing_pct !== undefined) v.rv_pacing_pct = Math.min(99.9, Math.max(0, v.rv_pacing_pct));
    const { rng, traits } = this;
    if (traits.permanentAf && v.af_burden !== undefined) {
      v.af_burden = rng.chance(0.9) ? 24 : rng.uniform(20, 24);
      v.af_ventricular_rate = traits.afRate + this.afRateWander.step() + rng.normal(0, 1.5);
    }
    if (v.nsvt_episodes !== undefined && traits.nsvtPerYear > 0 && rng.chance(traits.nsvtPerYear / 365)) {
      v.nsvt_episodes += rng.chance(0.8) ? 1 : rng.int(2, 4);
    }
    if (v.short_vv_intervals !== undefined && rng.chance(this.params.shortVvDaysPerYear / 365)) {
      v.short_vv_intervals += rng.int(1, 4);
    }
  }

  /** After implant: impedance rises as the pocket heals, lead impedance falls, thresholds peak. */
  private settle(t: number, v: Record<string, number>): void {
    if (this.traits.implantDay === 0 || t > 180) return;
    const { impedanceSettle, settleDays } = this.traits;
    if (v.thoracic_impedance !== undefined) {
      v.thoracic_impedance *= 1 - (impedanceSettle / (1 + impedanceSettle)) * Math.exp((-3 * t) / settleDays);
    }
    const lead = 1 + 0.15 * Math.exp(-t / 10);
    const threshold = 1 + 0.3 * (t / 14) * Math.exp(1 - t / 14);
    for (const m of ['ra_lead_impedance', 'rv_lead_impedance', 'lv_lead_impedance']) if (v[m] !== undefined) v[m] *= lead;
    for (const m of ['ra_capture_threshold', 'rv_capture_threshold', 'lv_capture_threshold']) if (v[m] !== undefined) v[m] *= threshold;
  }

  /** Measurement faults, applied after the scenarios. */
  measurement(day: number, v: Record<string, number>): void {
    const { rng, params, traits } = this;
    for (const [m, w] of this.wander) {
      const cur = v[m];
      if (cur === undefined || !rng.chance(params.outlierRate * traits.volatility)) continue;
      const jump = w.ar.sd * rng.uniform(3, 6) * (rng.chance(0.5) ? 1 : -1);
      v[m] = w.relative ? cur * Math.max(0.05, 1 + jump) : cur + jump;
    }
    if (v.thoracic_impedance !== undefined) {
      if (day > this.artefactUntil && rng.chance(params.impedanceArtefactsPerYear / 365)) {
        this.artefactUntil = day + rng.int(0, 1);
        this.artefactFactor = 1 + rng.uniform(0.04, 0.12) * (rng.chance(0.5) ? 1 : -1);
      }
      if (day <= this.artefactUntil) v.thoracic_impedance *= this.artefactFactor;
    }
    if (v.activity !== undefined && rng.chance(params.activityZeroPerYear / 365)) v.activity = 0;
  }

  /** True on nights inside a run of 2-10 missed uploads (monitor away from the bedside). */
  awayTonight(day: number): boolean {
    if (day <= this.awayUntil) return true;
    if (this.rng.chance(this.params.awayRunsPerYear / 365)) {
      this.awayUntil = day + this.rng.int(1, 9);
      return true;
    }
    return false;
  }

  /** Upload time: the patient's minute of the local night, plus the day's jitter. */
  uploadAt(dayStart: number, jitterMinutes: number): number {
    return londonLocalToUtc(dayStart, this.traits.uploadLocalMinute + jitterMinutes);
  }
}
