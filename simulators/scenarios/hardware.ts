// Device and lead problems: lead fracture, insulation breach, capture threshold rise,
// battery ERI/EOS and rapid depletion, CRT pacing loss.
import { DAYS_PER_MONTH, ERI_MONTHS, nominalLongevity } from '../battery.ts';
import { isCrtDevice, isTachyDevice } from '../device-types.ts';
import { DAY_MS, rfc3339 } from '../time.ts';
import { truthOf } from './truth.ts';
import { ramp, round, type DayContext, type ScenarioDef } from './types.ts';

export const leadFracture: ScenarioDef = {
  name: 'lead_fracture', kind: 'lead_integrity', benign: false, share: 0.01, span: 30,
  eligible: () => true,
  create(ctx) {
    const { rng, onsetDay, patient } = ctx;
    const prodromeDays = rng.int(3, 14);
    const jumpDay = onsetDay + prodromeDays;
    // A fracturing conductor's impedance roughly doubles (Medtronic Lead Integrity Alert).
    // Floor at 1.65 so day-to-day noise never hides the >= 50 % jump.
    const factor = rng.clampedNormal(2, 0.35, 1.65, 3);
    const tachy = isTachyDevice(patient.type);
    return {
      firstDay: onsetDay,
      lastDay: ctx.days - 1,
      truths: [truthOf(ctx, 'lead_fracture', 'lead_integrity', false, { day: onsetDay }, { day: ctx.days }, {
        mode: 'conductor_fracture', lead: 'rv', impedanceFactor: round(factor, 2), prodromeDays,
        jump: rfc3339(ctx.start + jumpDay * DAY_MS), oversensing: tachy,
      })],
      apply(d) {
        const v = d.values;
        if (v.rv_lead_impedance === undefined) return;
        if (d.day < jumpDay) {
          // Intermittent make-and-break contact: occasional spikes, a little noise oversensed.
          if (d.rng.chance(0.3)) v.rv_lead_impedance *= d.rng.uniform(1.2, 1.45);
          if (tachy) v.short_vv_intervals = (v.short_vv_intervals ?? 0) + d.rng.int(1, 12);
        } else {
          v.rv_lead_impedance *= Math.max(1.65, factor * d.rng.uniform(0.95, 1.05));
          if (tachy) {
            v.short_vv_intervals = (v.short_vv_intervals ?? 0) + d.rng.int(12, 60);
            v.nsvt_episodes = (v.nsvt_episodes ?? 0) + d.rng.int(0, 3);
          }
        }
      },
    };
  },
};

export const insulationBreach: ScenarioDef = {
  name: 'insulation_breach', kind: 'lead_integrity', benign: false, share: 0.005, span: 10,
  eligible: () => true,
  create(ctx) {
    const { rng, onsetDay } = ctx;
    const fallDays = rng.int(1, 3);
    const target = rng.uniform(110, 185);
    return {
      firstDay: onsetDay,
      lastDay: ctx.days - 1,
      truths: [truthOf(ctx, 'insulation_breach', 'lead_integrity', false, { day: onsetDay }, { day: ctx.days }, {
        mode: 'insulation_breach', lead: 'rv', impedanceOhm: round(target, 0), fallDays,
      })],
      apply(d) {
        const v = d.values;
        if (v.rv_lead_impedance === undefined) return;
        const f = ramp(d.day, onsetDay - 1, onsetDay + fallDays - 1);
        const low = Math.min(195, target * d.rng.uniform(0.95, 1.05));
        v.rv_lead_impedance = v.rv_lead_impedance * (1 - f) + low * f;
        if (f >= 1) v.rv_lead_impedance = low;
      },
    };
  },
};

export const captureThresholdRise: ScenarioDef = {
  name: 'capture_threshold_rise', kind: 'capture_threshold', benign: false, share: 0.015, span: 20,
  eligible: () => true,
  create(ctx) {
    const { rng, onsetDay, patient } = ctx;
    const lead = isCrtDevice(patient.type) && rng.chance(0.5) ? 'lv' : 'rv';
    const base = lead === 'lv' ? patient.baselines.lvThreshold : patient.baselines.rvThreshold;
    const riseDays = rng.int(3, 14);
    // Either past the 3.5 V absolute limit or clearly more than double the baseline: the
    // margin keeps a doubling visible through 0.125 V steps and day-to-day noise.
    const target = rng.chance(0.3) ? rng.uniform(3.75, 5) : base * rng.uniform(2.4, 3.2) + 0.25;
    const metric = `${lead}_capture_threshold`;
    return {
      firstDay: onsetDay,
      lastDay: ctx.days - 1,
      truths: [truthOf(ctx, 'capture_threshold_rise', 'capture_threshold', false, { day: onsetDay }, { day: ctx.days }, {
        lead, baselineV: round(base, 3), targetV: round(target, 3), riseDays,
        reached: rfc3339(ctx.start + (onsetDay + riseDays) * DAY_MS),
      })],
      apply(d) {
        const f = ramp(d.day, onsetDay, onsetDay + riseDays);
        const cur = d.values[metric];
        if (cur !== undefined) d.values[metric] = cur + (target - base) * f;
      },
    };
  },
};

function setBattery(d: DayContext, longevity: number, status: number): void {
  d.values.battery_longevity = Math.max(0, longevity);
  d.values.battery_status = status;
}

export const batteryEri: ScenarioDef = {
  name: 'battery_eri', kind: 'battery', benign: false, share: 0.02, span: 125,
  eligible: () => true,
  create(ctx) {
    const { rng, onsetDay } = ctx;
    const eosDay = onsetDay + rng.int(92, 120);
    return {
      firstDay: 0,
      lastDay: ctx.days - 1,
      truths: [truthOf(ctx, 'battery_eri', 'battery', false, { day: onsetDay }, { day: ctx.days }, {
        mode: 'eri_then_eos', eri: rfc3339(ctx.start + onsetDay * DAY_MS),
        eos: rfc3339(ctx.start + eosDay * DAY_MS), eosWithinRun: eosDay < ctx.days,
      })],
      apply(d) {
        if (d.day < onsetDay) setBattery(d, ERI_MONTHS + (onsetDay - d.day) / DAYS_PER_MONTH, 2);
        else if (d.day < eosDay) setBattery(d, ERI_MONTHS * (eosDay - d.day) / (eosDay - onsetDay), 3);
        else setBattery(d, 0, 4);
      },
    };
  },
};

export const batteryRapidDepletion: ScenarioDef = {
  name: 'battery_rapid_depletion', kind: 'battery', benign: false, share: 0.003, span: 70,
  eligible: () => true,
  create(ctx) {
    const { rng, onsetDay, patient } = ctx;
    // A known failure mode goes from normal to replacement in 1 week to 6 months.
    const depletionDays = rng.int(14, 60);
    const from = nominalLongevity(patient, onsetDay);
    const eriDay = onsetDay + depletionDays;
    const eosDay = eriDay + rng.int(92, 120);
    return {
      firstDay: onsetDay,
      lastDay: ctx.days - 1,
      truths: [truthOf(ctx, 'battery_rapid_depletion', 'battery', false, { day: onsetDay }, { day: ctx.days }, {
        mode: 'rapid_depletion', fromMonths: round(from, 1), depletionDays,
        monthsLostPer30Days: round(((from - ERI_MONTHS) / depletionDays) * 30, 1),
        eri: rfc3339(ctx.start + eriDay * DAY_MS), eos: rfc3339(ctx.start + eosDay * DAY_MS),
      })],
      apply(d) {
        if (d.day < eriDay) {
          const k = (d.day - onsetDay) / depletionDays;
          setBattery(d, from - (from - ERI_MONTHS) * k, 2);
        } else if (d.day < eosDay) setBattery(d, ERI_MONTHS * (eosDay - d.day) / (eosDay - eriDay), 3);
        else setBattery(d, 0, 4);
      },
    };
  },
};

export const crtPacingLoss: ScenarioDef = {
  name: 'crt_pacing_loss', kind: 'crt_pacing_loss', benign: false, share: 0.08, span: 32,
  eligible: (p) => isCrtDevice(p.type),
  create(ctx) {
    const { rng, onsetDay } = ctx;
    const days = rng.int(10, 30);
    const cause = rng.pick(['conducted_af', 'frequent_pvcs', 'lv_loss_of_capture']);
    return {
      firstDay: onsetDay,
      lastDay: onsetDay + days - 1,
      truths: [truthOf(ctx, 'crt_pacing_loss', 'crt_pacing_loss', false, { day: onsetDay }, { day: onsetDay + days }, {
        days, cause, lowDaysShare: '6/7', lowRangePct: '72-89',
      })],
      apply(d) {
        // Six low days in seven, so a 5-of-7 rule fires without every day being identical.
        const pct = (d.day - onsetDay) % 7 === 3 ? d.rng.uniform(90, 93) : d.rng.uniform(72, 89);
        d.values.crt_pacing_pct = pct;
        d.values.rv_pacing_pct = pct;
      },
    };
  },
};
