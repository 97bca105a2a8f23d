// Heart-failure decompensation of the calibrated profile: every signal has its own onset and
// size, drawn from the published distributions and truncated only where physics requires.
// Figures and sources: docs/simulator.md.
import { hasHfDiagnostics } from '../device-types.ts';
import type { Rng } from '../prng.ts';
import { truncatedNormal } from '../realism/wander.ts';
import { DAY_MS, MINUTE_MS, rfc3339 } from '../time.ts';
import { truthOf } from './truth.ts';
import { ramp, round, type ScenarioDef } from './types.ts';

/** Real-world HF hospitalisations per HF-monitored (ICD/CRT) patient-year. */
export const HF_EVENTS_PER_YEAR = 0.15;
/** Share of decompensations with little thoracic impedance change (MID-HeFT: 76.9 % detected). */
const LITTLE_IMPEDANCE_SHARE = 0.18;
const MAX_SPAN = 60;

interface Signal { onsetDays: number; size: number }
interface Signals { impedance: Signal; respiratory: Signal; nightHr: Signal; hrv: Signal; activity: Signal }

const onset = (rng: Rng, mean: number, sd: number): number => Math.round(truncatedNormal(rng, mean, sd, 1, MAX_SPAN));

function drawSignals(rng: Rng): Signals {
  const little = rng.chance(LITTLE_IMPEDANCE_SHARE);
  return {
    // MID-HeFT (Yu 2005): 12.3 ± 5.3 % over 18.3 ± 10.1 days before admission.
    impedance: {
      onsetDays: Math.round(truncatedNormal(rng, 18.3, 10.1, 7, MAX_SPAN)),
      size: little ? rng.uniform(0, 3) : truncatedNormal(rng, 12.3, 5.3, 0.1, 60),
    },
    // NOTICE-HF: median respiratory rate +2.1 ± 2.8 /min in the month before HF events.
    respiratory: { onsetDays: onset(rng, 14, 7), size: rng.normal(2.1, 2.8) },
    // Night heart rate and HRV move about two weeks ahead (Adamson 2004: SDAAM fell a median
    // 16 days before hospitalisation); sizes are modest and vary widely.
    nightHr: { onsetDays: onset(rng, 16, 8), size: rng.normal(4, 4) },
    hrv: { onsetDays: onset(rng, 16, 8), size: truncatedNormal(rng, 0.15, 0.1, -0.2, 0.7) },
    activity: { onsetDays: onset(rng, 14, 8), size: truncatedNormal(rng, 0.2, 0.15, -0.2, 0.9) },
  };
}

export const hfDecompensationCalibrated: ScenarioDef = {
  name: 'hf_decompensation', kind: 'hf_decompensation', benign: false, share: HF_EVENTS_PER_YEAR, span: MAX_SPAN + 21,
  eligible: (p) => hasHfDiagnostics(p.type),
  create(ctx) {
    const { rng, onsetDay } = ctx;
    const s = drawSignals(rng);
    const lead = Math.max(...Object.values(s).map((x) => x.onsetDays));
    const admissionDay = onsetDay + lead;
    const admissionMs = ctx.start + admissionDay * DAY_MS + rng.int(8 * 60, 20 * 60) * MINUTE_MS;
    const recoveryDays = rng.int(7, 21);
    const lastDay = admissionDay + recoveryDays;
    // 0 before the signal's onset, 1 the day before admission, back to 0 over the recovery.
    const shape = (sig: Signal, day: number): number => day <= admissionDay
      ? ramp(day, admissionDay - sig.onsetDays, admissionDay - 1)
      : 1 - ramp(day, admissionDay, lastDay);
    const json = (sig: Signal, digits: number): { onsetDaysBeforeAdmission: number; size: number } => ({
      onsetDaysBeforeAdmission: sig.onsetDays, size: round(sig.size, digits),
    });
    return {
      firstDay: onsetDay,
      lastDay,
      truths: [truthOf(ctx, 'hf_decompensation', 'hf_decompensation', false, { day: onsetDay }, { day: lastDay + 1 }, {
        admission: rfc3339(admissionMs), recoveryDays, impedanceDropPct: round(s.impedance.size, 2),
        declineDays: s.impedance.onsetDays,
        signals: {
          thoracicImpedanceFallPct: json(s.impedance, 2), respiratoryRateRise: json(s.respiratory, 2),
          nightHeartRateRise: json(s.nightHr, 1), hrvFallFraction: json(s.hrv, 3), activityFallFraction: json(s.activity, 3),
        },
      })],
      apply(d) {
        const v = d.values;
        const f = (sig: Signal): number => shape(sig, d.day);
        if (v.thoracic_impedance !== undefined) v.thoracic_impedance *= 1 - (s.impedance.size / 100) * f(s.impedance);
        if (v.respiratory_rate !== undefined) v.respiratory_rate = Math.max(6, v.respiratory_rate + s.respiratory.size * f(s.respiratory));
        const hr = s.nightHr.size * f(s.nightHr);
        if (v.night_heart_rate !== undefined) v.night_heart_rate += hr;
        d.hrOffset += hr;
        if (v.hrv_sdaam !== undefined) v.hrv_sdaam *= 1 - s.hrv.size * f(s.hrv);
        if (v.activity !== undefined) v.activity *= 1 - s.activity.size * f(s.activity);
      },
    };
  },
};
