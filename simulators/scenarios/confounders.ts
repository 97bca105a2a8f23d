// Benign confounders of the calibrated profile: things that move heart-failure signals without
// an admission. Each eligible patient gets a Poisson number of episodes over the run; every
// episode is a benign ground-truth event of kind hf_decompensation. Sources: docs/simulator.md.
import { hasHfDiagnostics } from '../device-types.ts';
import { poisson, truncatedNormal } from '../realism/wander.ts';
import type { RealismParams } from '../realism/params.ts';
import type { ScenarioName, TruthEvent } from '../types.ts';
import { truthOf } from './truth.ts';
import { ramp, round, type DayContext, type Params, type PlanContext, type ScenarioDef, type ScenarioInstance } from './types.ts';

interface Episode {
  readonly first: number;
  /** Last day the episode touches the readings. */
  readonly last: number;
  /** Day the ground truth says it is over (after `last` for a lasting step). */
  readonly end: number;
  readonly params: Params;
  apply(d: DayContext): void;
}

type Draw = (ctx: PlanContext, firstDay: number) => Episode;

/** Episodes at `perYear`, never overlapping one another, from the patient's first day on. */
function episodic(ctx: PlanContext, name: ScenarioName, perYear: number, draw: Draw): ScenarioInstance {
  const { rng, days } = ctx;
  const lo = ctx.earliestDay ?? 0;
  const starts = Array.from({ length: poisson(rng, (perYear * (days - lo)) / 365) }, () => rng.int(lo, days - 1))
    .sort((a, b) => a - b);
  const episodes: Episode[] = [];
  for (const s of starts) {
    const prev = episodes[episodes.length - 1];
    if (prev && s <= prev.last) continue;
    episodes.push(draw(ctx, s));
  }
  const truths: TruthEvent[] = episodes.map((e) =>
    truthOf(ctx, name, 'hf_decompensation', true, { day: e.first }, { day: e.end }, e.params));
  return {
    truths,
    firstDay: episodes[0]?.first ?? days,
    lastDay: episodes.reduce((m, e) => Math.max(m, e.last), -1),
    apply(d) {
      for (const e of episodes) if (d.day >= e.first && d.day <= e.last) e.apply(d);
    },
  };
}

const rates = (ctx: PlanContext): RealismParams | undefined => ctx.realism;

export const respiratoryInfection: ScenarioDef = {
  name: 'respiratory_infection', kind: 'hf_decompensation', benign: true, share: 0, span: 14,
  eligible: () => true,
  create: (ctx) => episodic(ctx, 'respiratory_infection', rates(ctx)?.respiratoryInfectionsPerYear ?? 1.5, ({ rng }, first) => {
    const days = rng.int(3, 14);
    const last = first + days - 1;
    const impFall = truncatedNormal(rng, 0.03, 0.015, 0, 0.1);
    const rrRise = truncatedNormal(rng, 1.5, 0.8, 0, 5);
    const hrRise = truncatedNormal(rng, 6, 3, 0, 20);
    const actFall = truncatedNormal(rng, 0.25, 0.12, 0, 0.9);
    const hrvFall = truncatedNormal(rng, 0.15, 0.08, 0, 0.6);
    return {
      first, last, end: last + 1,
      params: { lookalike: 'respiratory infection', days, impedanceFallPct: round(impFall * 100, 2),
        respiratoryRateRise: round(rrRise, 2), nightHeartRateRise: round(hrRise, 1),
        activityFallPct: round(actFall * 100, 1), hrvFallPct: round(hrvFall * 100, 1) },
      apply(d) {
        const f = ramp(d.day, first - 1, first + 1) * (1 - ramp(d.day, last - 2, last + 1));
        const v = d.values;
        if (v.thoracic_impedance !== undefined) v.thoracic_impedance *= 1 - impFall * f;
        if (v.respiratory_rate !== undefined) v.respiratory_rate += rrRise * f;
        if (v.night_heart_rate !== undefined) v.night_heart_rate += hrRise * f;
        if (v.activity !== undefined) v.activity *= 1 - actFall * f;
        if (v.hrv_sdaam !== undefined) v.hrv_sdaam *= 1 - hrvFall * f;
        d.hrOffset += hrRise * f;
      },
    };
  }),
};

export const diureticChange: ScenarioDef = {
  name: 'diuretic_change', kind: 'hf_decompensation', benign: true, share: 0, span: 30,
  eligible: (p) => hasHfDiagnostics(p.type),
  create: (ctx) => episodic(ctx, 'diuretic_change', rates(ctx)?.diureticChangesPerYear ?? 0.5, ({ rng, days }, first) => {
    const stepDays = rng.int(2, 5);
    const change = truncatedNormal(rng, 0.04, 0.015, 0.005, 0.12) * (rng.chance(0.5) ? 1 : -1);
    // A dose change lasts; the truth window covers the step and the month a slow reference needs.
    return {
      first, last: days - 1, end: first + stepDays + 28,
      params: { lookalike: change > 0 ? 'diuretic dose increased' : 'diuretic dose reduced',
        impedanceStepPct: round(change * 100, 2), stepDays },
      apply(d) {
        if (d.values.thoracic_impedance !== undefined) d.values.thoracic_impedance *= 1 + change * ramp(d.day, first - 1, first + stepDays);
      },
    };
  }),
};

export const homeCongestion: ScenarioDef = {
  name: 'home_congestion', kind: 'hf_decompensation', benign: true, share: 0, span: 15,
  eligible: (p) => hasHfDiagnostics(p.type),
  create: (ctx) => episodic(ctx, 'home_congestion', rates(ctx)?.homeCongestionsPerYear ?? 0.2, ({ rng }, first) => {
    const days = rng.int(5, 15);
    const last = first + days - 1;
    const peak = first + Math.round(days * 0.6);
    const fall = rng.uniform(0.03, 0.08);
    const rrRise = rng.uniform(0, 1);
    const hrRise = rng.uniform(0, 4);
    return {
      first, last, end: last + 1,
      params: { lookalike: 'congestion resolved at home', days, impedanceFallPct: round(fall * 100, 2),
        respiratoryRateRise: round(rrRise, 2), nightHeartRateRise: round(hrRise, 1) },
      apply(d) {
        const f = ramp(d.day, first - 1, peak) * (1 - ramp(d.day, peak, last + 1));
        const v = d.values;
        if (v.thoracic_impedance !== undefined) v.thoracic_impedance *= 1 - fall * f;
        if (v.respiratory_rate !== undefined) v.respiratory_rate += rrRise * f;
        if (v.night_heart_rate !== undefined) v.night_heart_rate += hrRise * f;
        d.hrOffset += hrRise * f;
      },
    };
  }),
};
