// One patient's lifecycle events as the device simulator applies them, day by day. No random
// draws here: everything was drawn when the events were planned (plan.ts), so switching the
// lifecycle on changes no other stream.
//
// - generator change: from the next day on the patient's readings come from the new serial
//   (after 1-3 silent days), with a new battery and the new can's thoracic impedance (an offset,
//   and a dip while the pocket heals); lead metrics go on. Before it, when the lifecycle drew
//   the ERI itself, the old battery counts down to ERI and reports it.
// - lead revision / vector change: the lead's metrics move from the day's own values (before any
//   scenario bent them: the old lead's fault goes with it) to the new lead's levels, a new lead
//   maturing over about a month, a new vector at once.
// - output change: the projected longevity steps down.
import { DAYS_PER_MONTH, ERI_MONTHS } from '../battery.ts';
import { FLUID_INDEX_RESTART_DAYS } from './params.ts';
import type { DeviceChange, GeneratorChange, LeadChange, PacingLead } from './types.ts';

const METRICS: Readonly<Record<PacingLead, { impedance: string; threshold: string; sensing: string | null }>> = {
  ra: { impedance: 'ra_lead_impedance', threshold: 'ra_capture_threshold', sensing: 'p_wave_amplitude' },
  rv: { impedance: 'rv_lead_impedance', threshold: 'rv_capture_threshold', sensing: 'r_wave_amplitude' },
  lv: { impedance: 'lv_lead_impedance', threshold: 'lv_capture_threshold', sensing: null },
};

/** Metrics a lead change rewrites, whose pre-scenario values it starts from. */
function touched(c: LeadChange): string[] {
  const m = METRICS[c.lead];
  const out = [m.impedance, m.threshold];
  if (m.sensing && c.sensingRatio !== null) out.push(m.sensing);
  if (c.shockRatio !== null) out.push('shock_impedance');
  if (c.clearsOversensing) out.push('short_vv_intervals', 'nsvt_episodes');
  return out;
}

/** 0 on the day of the change, 1 at `peakDay`, fading after it. */
function bump(k: number, peakDay: number): number {
  const x = k / peakDay;
  return x * Math.exp(1 - x);
}

export class PatientLifecycle {
  private readonly generators: readonly GeneratorChange[];

  constructor(private readonly changes: readonly DeviceChange[]) {
    this.generators = changes.filter((c): c is GeneratorChange => c.kind === 'generator_change');
  }

  /** The serial that reports on `day`, with its first seq when it is a replacement. */
  serialOn(day: number): { serial: string; seqStart: number } | null {
    let current: GeneratorChange | null = null;
    for (const g of this.generators) if (day > g.day) current = g;
    return current && { serial: current.newSerial, seqStart: current.seqStart };
  }

  /** Nothing is transmitted while the new generator is being paired with the monitor. */
  silent(day: number): boolean {
    return this.generators.some((g) => day > g.day && day <= g.day + g.silentDays);
  }

  /** On the day of a generator change, nothing at or after the surgery is sent by the old one. */
  cutoff(day: number): number {
    for (const g of this.generators) if (g.day === day) return g.at;
    return Infinity;
  }

  /** The new device's own fluid index (OptiVol) collects nothing while its pocket matures. */
  fluidPaused(day: number): boolean {
    return this.generators.some((g) => day > g.day && day - g.day <= FLUID_INDEX_RESTART_DAYS);
  }

  /** Before the scenarios: the day's values of the metrics a lead change in effect rewrites. */
  before(day: number, v: Readonly<Record<string, number>>): Record<string, number> | null {
    let pre: Record<string, number> | null = null;
    for (const c of this.changes) {
      if (c.kind === 'generator_change' || c.kind === 'output' || day <= c.day) continue;
      for (const m of touched(c)) {
        const x = v[m];
        if (x !== undefined) (pre ??= {})[m] = x;
      }
    }
    return pre;
  }

  /** After the scenarios: the changes in effect, in the order they happened. */
  after(day: number, v: Record<string, number>, pre: Readonly<Record<string, number>> | null): void {
    for (const c of this.changes) {
      switch (c.kind) {
        case 'generator_change': this.generator(c, day, v); break;
        case 'output':
          if (day > c.day && v.battery_longevity !== undefined) v.battery_longevity *= c.longevityFactor;
          break;
        default:
          if (day > c.day && pre) lead(c, day - c.day, v, pre);
      }
    }
  }

  private generator(c: GeneratorChange, day: number, v: Record<string, number>): void {
    if (v.battery_longevity === undefined) return;
    if (day <= c.day) {
      // The old battery: when the lifecycle drew its ERI, it counts down to it and reports it.
      if (!c.eri) return;
      if (day < c.eri.day) {
        v.battery_longevity = ERI_MONTHS + (c.eri.day - day) / DAYS_PER_MONTH;
        v.battery_status = 2;
      } else {
        v.battery_longevity = (ERI_MONTHS * (c.eri.eosDay - day)) / (c.eri.eosDay - c.eri.day);
        v.battery_status = 3;
      }
      return;
    }
    const k = day - c.day;
    v.battery_longevity = c.longevityMonths - k / DAYS_PER_MONTH;
    v.battery_status = 1;
    if (v.thoracic_impedance !== undefined) {
      v.thoracic_impedance = (v.thoracic_impedance + c.impedanceOffset) * (1 - c.pocketDip * Math.exp(-k / c.pocketTauDays));
    }
  }
}

function lead(c: LeadChange, k: number, v: Record<string, number>, pre: Readonly<Record<string, number>>): void {
  const m = METRICS[c.lead];
  const set = (metric: string, f: number): void => {
    const x = pre[metric];
    if (x !== undefined && v[metric] !== undefined) v[metric] = x * f;
  };
  set(m.impedance, c.impedanceRatio * (1 + c.impedanceAcute * Math.exp(-k / c.impedanceTauDays)));
  set(m.threshold, c.thresholdRatio * (1 + c.thresholdPeak * bump(k, c.thresholdPeakDay)));
  if (m.sensing && c.sensingRatio !== null) set(m.sensing, c.sensingRatio);
  if (c.shockRatio !== null) set('shock_impedance', c.shockRatio);
  if (c.clearsOversensing) {
    set('short_vv_intervals', 1);
    set('nsvt_episodes', 1);
  }
}
