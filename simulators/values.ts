// A patient's undisturbed daily values: baseline, slow drift, weekday rhythm and noise.
import { nominalLongevity, nominalStatus } from './battery.ts';
import type { Rng } from './prng.ts';
import type { Patient } from './types.ts';

/** The value a metric would have today if nothing were going on. */
export function normalValue(metric: string, p: Patient, day: number, weekend: boolean, rng: Rng): number {
  const b = p.baselines;
  const years = day / 365;
  const lead = 1 + p.drift.leadImpedance * years;
  switch (metric) {
    case 'night_heart_rate': return b.nightHeartRate + rng.normal(0, 2.5);
    case 'activity': {
      const rhythm = weekend ? b.weekendActivityFactor : 1;
      return b.activity * (1 + p.drift.activity * years) * rhythm * (1 + rng.normal(0, 0.12));
    }
    case 'hrv_sdaam': return b.hrv + rng.normal(0, 7);
    // Daily impedance is a mean of many measurements, hence the small day-to-day noise.
    case 'thoracic_impedance': return b.thoracicImpedance * (1 + p.drift.thoracicImpedance * years) + rng.normal(0, 0.8);
    case 'respiratory_rate': return b.respiratoryRate + rng.normal(0, 0.35);
    case 'af_burden': return b.backgroundAfRate > 0 && rng.chance(b.backgroundAfRate) ? rng.uniform(0.02, 0.1) : 0;
    case 'rv_pacing_pct': return Math.min(99.9, b.rvPacingPct + rng.normal(0, 1));
    case 'crt_pacing_pct': return Math.min(99.9, b.crtPacingPct + rng.normal(0, 0.6));
    case 'ra_lead_impedance': return b.raLeadImpedance * lead * (1 + rng.normal(0, 0.02));
    case 'rv_lead_impedance': return b.rvLeadImpedance * lead * (1 + rng.normal(0, 0.02));
    case 'lv_lead_impedance': return b.lvLeadImpedance * lead * (1 + rng.normal(0, 0.025));
    case 'shock_impedance': return b.shockImpedance * (1 + rng.normal(0, 0.03));
    case 'ra_capture_threshold': return b.raThreshold * (1 + p.drift.threshold * years) + rng.normal(0, 0.04);
    case 'rv_capture_threshold': return b.rvThreshold * (1 + p.drift.threshold * years) + rng.normal(0, 0.04);
    case 'lv_capture_threshold': return b.lvThreshold * (1 + p.drift.threshold * years) + rng.normal(0, 0.06);
    case 'p_wave_amplitude': return b.pWave + rng.normal(0, 0.25);
    case 'r_wave_amplitude': return b.rWave + rng.normal(0, 0.7);
    case 'battery_longevity': return nominalLongevity(p, day);
    case 'battery_status': return nominalStatus(nominalLongevity(p, day));
    case 'battery_voltage': return 0; // derived from longevity after scenarios have run
    // Charge time creeps up as the battery ages.
    case 'charge_time': return b.chargeTime * (1 + 0.05 * years) + rng.normal(0, 0.15);
    default: return 0; // episode and therapy counters: nothing happened
  }
}

const DECIMALS: Readonly<Record<string, number>> = {
  thoracic_impedance: 1, respiratory_rate: 1, af_burden: 2, rv_pacing_pct: 1, crt_pacing_pct: 1,
  p_wave_amplitude: 1, r_wave_amplitude: 1, battery_voltage: 2, charge_time: 1,
};

/** Rounds as a device would report: thresholds in 0.125 V steps, the rest to fixed decimals. */
export function quantise(metric: string, value: number): number {
  if (metric.endsWith('_capture_threshold')) return Math.round(value * 8) / 8;
  const f = 10 ** (DECIMALS[metric] ?? 0);
  return Math.round(value * f) / f;
}
