// A device going silent, and benign look-alikes that a good engine must not alert on.
// Look-alikes move values but keep them inside the metrics' typical ranges; in the calibrated
// profile they are drawn wider and uncapped, as real ones are.
import { hasHfDiagnostics } from '../device-types.ts';
import { round, type ScenarioDef } from './types.ts';
import { truthOf } from './truth.ts';

export const deviceSilent: ScenarioDef = {
  name: 'device_silent', kind: 'connectivity_loss', benign: false, share: 0.02, span: 14,
  eligible: () => true,
  create(ctx) {
    const { rng, onsetDay } = ctx;
    // At least three days: comfortably past the 48 h rule, short of the vendors' 14-28 day flag.
    const days = rng.int(3, 12);
    return {
      firstDay: onsetDay,
      lastDay: onsetDay + days - 1,
      truths: [truthOf(ctx, 'device_silent', 'connectivity_loss', false, { day: onsetDay }, { day: onsetDay + days }, {
        silentDays: days, backlogDelivered: false,
      })],
      apply(d) {
        d.silent = true;
      },
    };
  },
};

export const noisyNight: ScenarioDef = {
  name: 'noisy_night', kind: 'hf_decompensation', benign: true, share: 0.05, span: 2,
  eligible: (p) => hasHfDiagnostics(p.type),
  create(ctx) {
    const { rng, onsetDay } = ctx;
    const wide = ctx.realism !== undefined;
    const hrRise = wide ? rng.uniform(4, 16) : rng.uniform(4, 8);
    const rrRise = wide ? rng.uniform(0.5, 3) : rng.uniform(0.5, 1.2);
    const impFall = wide ? rng.uniform(0.015, 0.07) : rng.uniform(0.015, 0.03);
    const actFall = wide ? rng.uniform(0.15, 0.7) : rng.uniform(0.15, 0.3);
    const cap = (hi: number): number => (wide ? Infinity : hi);
    const floor = (x: number, to: number): number => (wide ? 0 : Math.min(x, to));
    return {
      firstDay: onsetDay,
      lastDay: onsetDay,
      truths: [truthOf(ctx, 'noisy_night', 'hf_decompensation', true, { day: onsetDay }, { day: onsetDay + 1 }, {
        lookalike: 'single noisy night', nightHeartRateRise: round(hrRise, 1), respiratoryRateRise: round(rrRise, 2),
        impedanceFallPct: round(impFall * 100, 2), activityFallPct: round(actFall * 100, 1),
      })],
      apply(d) {
        const v = d.values;
        const capUp = (x: number, add: number, hi: number): number => Math.max(x, Math.min(cap(hi), x + add));
        if (v.night_heart_rate !== undefined) v.night_heart_rate = capUp(v.night_heart_rate, hrRise, 80);
        if (v.respiratory_rate !== undefined) v.respiratory_rate = capUp(v.respiratory_rate, rrRise, 20);
        if (v.thoracic_impedance !== undefined) v.thoracic_impedance *= 1 - impFall;
        if (v.activity !== undefined) v.activity = Math.max(floor(v.activity, 120), v.activity * (1 - actFall));
      },
    };
  },
};

export const briefAfRun: ScenarioDef = {
  name: 'brief_af_run', kind: 'af_burden', benign: true, share: 0.04, span: 2,
  eligible: () => true,
  create(ctx) {
    const { rng, onsetDay } = ctx;
    const hours = rng.uniform(0.5, 5.5);
    const rate = rng.uniform(78, 100);
    return {
      firstDay: onsetDay,
      lastDay: onsetDay,
      truths: [truthOf(ctx, 'brief_af_run', 'af_burden', true, { day: onsetDay }, { day: onsetDay + 1 }, {
        lookalike: 'brief AF run', burdenHours: round(hours, 2), ventricularRate: round(rate, 1),
      })],
      apply(d) {
        d.values.af_burden = hours;
        d.values.af_ventricular_rate = rate;
      },
    };
  },
};

export const lowActivityWeek: ScenarioDef = {
  name: 'low_activity_week', kind: 'hf_decompensation', benign: true, share: 0.04, span: 8,
  eligible: () => true,
  create(ctx) {
    const { rng, onsetDay } = ctx;
    const wide = ctx.realism !== undefined;
    const fall = wide ? rng.uniform(0.25, 0.75) : rng.uniform(0.25, 0.45);
    return {
      firstDay: onsetDay,
      lastDay: onsetDay + 6,
      truths: [truthOf(ctx, 'low_activity_week', 'hf_decompensation', true, { day: onsetDay }, { day: onsetDay + 7 }, {
        lookalike: 'low-activity week (holiday, a cold)', activityFallPct: round(fall * 100, 1), floorMinutes: wide ? 0 : 120,
      })],
      apply(d) {
        const v = d.values;
        // Never below two hours a day: far from the one-hour-a-week criterion of TriageHF.
        const floor = wide ? 0 : Math.min(v.activity ?? 0, 120);
        if (v.activity !== undefined) v.activity = Math.max(floor, v.activity * (1 - fall));
      },
    };
  },
};
