// One device over the run: turns a patient-day into transmissions, carrying the state that
// spans days (seq counter, the device's own fluid index, monitor connectivity).
import { metricByName } from '../src/domain/vocabulary.ts';
import { batteryVoltage } from './battery.ts';
import { NIGHTLY_METRICS, hasHfDiagnostics } from './device-types.ts';
import type { PatientLifecycle } from './lifecycle/device.ts';
import type { Rng } from './prng.ts';
import type { PatientRealism } from './realism/background.ts';
import type { DayContext, ScenarioInstance } from './scenarios/types.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS, rfc3339, weekday } from './time.ts';
import type { Patient, SimReading, Transmission } from './types.ts';
import { normalValue, quantise } from './values.ts';

export interface NoiseOptions {
  /** Chance per night that the nightly transmission is lost. */
  readonly missingNightRate: number;
  /** Chance per night that the nightly transmission arrives twice. */
  readonly duplicateRate: number;
  /** Chance per day that the bedside monitor is unplugged for 4-20 h (uploads wait, none lost). */
  readonly unplugRate: number;
}

export const DEFAULT_NOISE: NoiseOptions = Object.freeze({
  missingNightRate: 0.02,
  duplicateRate: 0.01,
  unplugRate: 1 / 60,
});

interface Draft { atMs: number; kind: Transmission['kind']; values: ReadonlyArray<readonly [string, number]> }

// Hourly readings of every device share their timestamps: format each one once.
const ISO = new Map<number, string>();
function isoCached(ms: number): string {
  let s = ISO.get(ms);
  if (s === undefined) {
    if (ISO.size > 50_000) ISO.clear();
    s = rfc3339(ms);
    ISO.set(ms, s);
  }
  return s;
}

const RANGE = new Map<string, { lo: number; hi: number }>();
function validRange(metric: string): { lo: number; hi: number } {
  let r = RANGE.get(metric);
  if (!r) {
    const def = metricByName(metric);
    r = { lo: def.validMin, hi: def.validMax };
    RANGE.set(metric, r);
  }
  return r;
}

export class DeviceSim {
  private seq: number;
  private fluidRef: number;
  private fluidIndex = 0;
  private prevMissed = false;
  /** Nights sent since the last lost one; a loss needs two, so no gap reaches 48 h. */
  private sinceMissed = 2;
  private holdStart = 0;
  private holdEnd = 0;
  private readonly metrics: readonly string[];
  private readonly reportsFluid: boolean;
  /** The serial reporting now: the patient's, or a replacement generator's (lifecycle). */
  private device: string;

  constructor(
    readonly patient: Patient,
    private readonly scenarios: readonly ScenarioInstance[],
    private readonly rng: Rng,
    private readonly start: number,
    private readonly hourlyHr: boolean,
    private readonly noise: NoiseOptions,
    /** The calibrated background; null for the clean profile, whose draws must not change. */
    private readonly realism: PatientRealism | null = null,
    /** Device lifecycle events (cohort option `lifecycle`); null leaves every draw as it was. */
    private readonly lifecycle: PatientLifecycle | null = null,
  ) {
    // Devices have been counting long before the run starts.
    this.seq = rng.int(1, 50_000);
    this.fluidRef = patient.baselines.thoracicImpedance;
    this.metrics = NIGHTLY_METRICS[patient.type];
    this.reportsFluid = patient.vendor === 'MDT' && hasHfDiagnostics(patient.type);
    this.device = patient.device;
  }

  /** Appends the day's transmissions, in event-time order, to `out`. */
  day(day: number, out: Transmission[]): void {
    const { rng, patient, realism } = this;
    // A device implanted during the run has nothing to report before its implant.
    if (realism && !realism.implanted(day)) return;
    const dayStart = this.start + day * DAY_MS;
    const wd = weekday(dayStart);
    const values: Record<string, number> = {};
    for (const m of this.metrics) values[m] = normalValue(m, patient, day, wd === 0 || wd === 6, rng);
    realism?.background(day, dayStart, values);
    const { lifecycle } = this;
    const pre = lifecycle ? lifecycle.before(day, values) : null;
    const ctx: DayContext = { day, dayStart, patient, rng, values, events: [], silent: false, hrOffset: 0 };
    for (const s of this.scenarios) if (day >= s.firstDay && day <= s.lastDay) s.apply(ctx);
    lifecycle?.after(day, values, pre);
    realism?.measurement(day, values);
    this.finishValues(values, day);
    if (ctx.silent) return;
    if (lifecycle) {
      if (lifecycle.silent(day)) return;
      const next = lifecycle.serialOn(day);
      if (next && next.serial !== this.device) {
        this.device = next.serial;
        this.seq = next.seqStart;
      }
    }

    const drafts: Draft[] = [];
    const away = realism?.awayTonight(day) ?? false;
    const missed = away || (this.sinceMissed >= 2 && this.holdEnd <= dayStart && rng.chance(this.noise.missingNightRate));
    if (!missed) {
      // After a lost night, upload early so the silence stays under 48 h.
      const jitter = this.prevMissed ? -30 : rng.int(-15, 15);
      const atMs = realism
        ? realism.uploadAt(dayStart, jitter)
        : dayStart + (patient.transmitMinute + jitter) * MINUTE_MS;
      drafts.push({ atMs, kind: 'nightly', values: this.nightlyValues(values) });
      // One unplugged spell at a time: overlapping ones would reorder a device's uploads.
      if (!this.prevMissed && this.holdEnd <= dayStart && rng.chance(this.noise.unplugRate)) {
        this.holdStart = dayStart + rng.int(0, 23 * 60) * MINUTE_MS;
        this.holdEnd = this.holdStart + rng.int(4 * 60, 20 * 60) * MINUTE_MS;
      }
    }
    this.prevMissed = missed;
    this.sinceMissed = missed ? 0 : this.sinceMissed + 1;
    for (const e of ctx.events) {
      // Kept inside the day so seqs stay in event-time order across day boundaries.
      drafts.push({ atMs: Math.min(e.atMs, dayStart + DAY_MS - MINUTE_MS), kind: 'event', values: e.values });
    }
    if (this.hourlyHr) this.hourly(dayStart, values, ctx.hrOffset, drafts);
    drafts.sort((a, b) => a.atMs - b.atMs);
    // The day of a generator change: the old one sends nothing after the surgery.
    const cutoff = lifecycle ? lifecycle.cutoff(day) : Infinity;
    for (const d of drafts) if (d.atMs < cutoff) this.emit(d, out);
  }

  private holding(atMs: number): boolean {
    return atMs >= this.holdStart && atMs < this.holdEnd;
  }

  private finishValues(v: Record<string, number>, day: number): void {
    const z = v.thoracic_impedance;
    if (z !== undefined && this.reportsFluid) {
      // OptiVol stores nothing for 34 days after implant, while the pocket heals.
      if (this.realism && day < this.realism.traits.implantDay + 34) this.fluidRef = z;
      else if (this.lifecycle?.fluidPaused(day)) {
        // A new generator's index starts again once its pocket has matured.
        this.fluidRef = z;
        this.fluidIndex = 0;
      } else v.fluid_index = this.updateFluidIndex(z);
    }
    if (v.battery_longevity !== undefined) {
      v.battery_voltage = batteryVoltage(v.battery_longevity, v.battery_status ?? 2);
    }
    const burden = v.af_burden;
    if (burden !== undefined && burden >= 0.005 && v.af_ventricular_rate === undefined) {
      v.af_ventricular_rate = 82 + this.rng.normal(0, 6);
    }
  }

  /**
   * OptiVol-style: the reference follows the daily impedance slowly (slower downwards, so fluid
   * shows), the index adds each day's shortfall and resets once impedance is back above it.
   */
  private updateFluidIndex(z: number): number {
    if (z < this.fluidRef) {
      this.fluidIndex += this.fluidRef - z;
      this.fluidRef += (z - this.fluidRef) * 0.05;
    } else {
      this.fluidIndex = 0;
      this.fluidRef += (z - this.fluidRef) * 0.2;
    }
    return this.fluidIndex;
  }

  private nightlyValues(v: Record<string, number>): [string, number][] {
    const out: [string, number][] = [];
    for (const m of this.metrics) {
      out.push([m, v[m] ?? 0]);
      if (m === 'af_burden' && v.af_ventricular_rate !== undefined && quantise(m, v[m] ?? 0) > 0) {
        out.push(['af_ventricular_rate', v.af_ventricular_rate]);
      }
      if (m === 'thoracic_impedance' && v.fluid_index !== undefined) out.push(['fluid_index', v.fluid_index]);
    }
    return out;
  }

  private hourly(dayStart: number, v: Record<string, number>, offset: number, drafts: Draft[]): void {
    const night = v.night_heart_rate ?? this.patient.baselines.nightHeartRate;
    const rise = this.patient.baselines.dayHeartRateRise;
    for (let h = 0; h < 24; h++) {
      const awake = h >= 7 && h < 23 ? rise : 0;
      const hr = night + awake + offset + this.rng.normal(0, 3);
      drafts.push({ atMs: dayStart + h * HOUR_MS, kind: 'hourly', values: [['heart_rate', hr]] });
    }
  }

  private emit(d: Draft, out: Transmission[]): void {
    const at = isoCached(d.atMs);
    const device = this.device;
    const readings: SimReading[] = d.values.map(([metric, raw]) => {
      const { lo, hi } = validRange(metric);
      const value = Math.min(hi, Math.max(lo, quantise(metric, raw)));
      return { device, seq: this.seq++, at, metric, value };
    });
    const sentAt = this.holding(d.atMs) ? this.holdEnd : d.atMs;
    const { id: patientId, site } = this.patient;
    out.push({ device, patientId, site, kind: d.kind, atMs: d.atMs, sentAt, duplicate: false, readings });
    if (d.kind === 'nightly' && this.rng.chance(this.noise.duplicateRate)) {
      const later = sentAt + this.rng.int(1, 30) * MINUTE_MS;
      out.push({ device, patientId, site, kind: d.kind, atMs: d.atMs, sentAt: later, duplicate: true, readings });
    }
  }
}
