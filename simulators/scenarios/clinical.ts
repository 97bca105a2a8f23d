// Clinical scenarios: heart-failure decompensation, AF, ventricular arrhythmia.
// Parameters and their sources are listed in docs/simulator.md.
import { hasHfDiagnostics, isTachyDevice } from '../device-types.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS, rfc3339 } from '../time.ts';
import type { JsonValue, TruthEvent } from '../types.ts';
import { truthOf } from './truth.ts';
import { ramp, round, type ScenarioDef } from './types.ts';

export const hfDecompensation: ScenarioDef = {
  name: 'hf_decompensation', kind: 'hf_decompensation', benign: false, share: 0.08, span: 45,
  eligible: (p) => hasHfDiagnostics(p.type),
  create(ctx) {
    const { rng, onsetDay } = ctx;
    // MID-HeFT: impedance fell 12.3 ± 5.3 % over 18.3 ± 10.1 days before admission; the
    // clamp keeps the fall within the range the unit tests and the brief call typical.
    const dropPct = rng.clampedNormal(12.3, 5.3, 9.5, 16.5);
    const declineDays = Math.round(rng.clampedNormal(18.3, 10.1, 14, 28));
    const admissionDay = onsetDay + declineDays;
    const admissionMs = ctx.start + admissionDay * DAY_MS + rng.int(8 * 60, 20 * 60) * MINUTE_MS;
    const recoveryDays = rng.int(7, 14);
    const nightHrRise = rng.clampedNormal(8, 3, 4, 14);
    const rrRise = rng.uniform(1.5, 2.1);
    const activityFall = rng.clampedNormal(0.35, 0.1, 0.2, 0.55);
    const hrvFall = rng.clampedNormal(0.25, 0.08, 0.12, 0.4);
    // Plateau for the last two days so the trough is reached before the admission itself.
    const troughDay = admissionDay - 2;
    return {
      firstDay: onsetDay,
      lastDay: admissionDay + recoveryDays,
      truths: [truthOf(ctx, 'hf_decompensation', 'hf_decompensation', false, { day: onsetDay },
        { day: admissionDay + recoveryDays }, {
          admission: rfc3339(admissionMs), impedanceDropPct: round(dropPct, 2), declineDays,
          nightHeartRateRise: round(nightHrRise, 1), respiratoryRateRise: round(rrRise, 2),
          activityFallPct: round(activityFall * 100, 1), hrvFallPct: round(hrvFall * 100, 1),
          recoveryDays,
        })],
      apply(d) {
        const f = d.day <= admissionDay
          ? ramp(d.day, onsetDay, troughDay)
          : 1 - ramp(d.day, admissionDay, admissionDay + recoveryDays);
        const v = d.values;
        if (v.thoracic_impedance !== undefined) v.thoracic_impedance *= 1 - (dropPct / 100) * f;
        if (v.respiratory_rate !== undefined) v.respiratory_rate += rrRise * f;
        if (v.night_heart_rate !== undefined) v.night_heart_rate += nightHrRise * f;
        if (v.activity !== undefined) v.activity *= 1 - activityFall * f;
        if (v.hrv_sdaam !== undefined) v.hrv_sdaam *= 1 - hrvFall * f;
        d.hrOffset += nightHrRise * f;
      },
    };
  },
};

export const afOnset: ScenarioDef = {
  name: 'af_onset', kind: 'af_burden', benign: false, share: 0.04, span: 40,
  eligible: () => true,
  create(ctx) {
    const { rng, onsetDay } = ctx;
    const rampDays = rng.int(7, 21);
    const peakHours = rng.uniform(8, 20);
    const persistDays = rng.int(20, 90);
    const rate = rng.clampedNormal(88, 6, 76, 100);
    const lastDay = onsetDay + rampDays + persistDays;
    const burdenAt = (day: number): number => 0.3 + (peakHours - 0.3) * ramp(day, onsetDay, onsetDay + rampDays);
    let firstOver6h = onsetDay;
    while (burdenAt(firstOver6h) < 6) firstOver6h++;
    return {
      firstDay: onsetDay,
      lastDay,
      truths: [truthOf(ctx, 'af_onset', 'af_burden', false, { day: onsetDay }, { day: lastDay + 1 }, {
        peakBurdenHours: round(peakHours, 2), rampDays, persistDays,
        ventricularRate: round(rate, 1), firstDayOver6h: rfc3339(ctx.start + firstOver6h * DAY_MS),
      })],
      apply(d) {
        const burden = Math.min(24, burdenAt(d.day) * d.rng.uniform(0.9, 1.1));
        d.values.af_burden = burden;
        d.values.af_ventricular_rate = Math.min(105, rate + d.rng.normal(0, 3));
        d.hrOffset += (burden / 24) * 10;
      },
    };
  },
};

export const afFastRate: ScenarioDef = {
  name: 'af_fast_rate', kind: 'af_fast_ventricular_rate', benign: false, share: 0.02, span: 12,
  eligible: () => true,
  create(ctx) {
    const { rng, onsetDay } = ctx;
    const days = rng.int(3, 10);
    const rate = rng.clampedNormal(125, 8, 114, 150);
    return {
      firstDay: onsetDay,
      lastDay: onsetDay + days - 1,
      truths: [truthOf(ctx, 'af_fast_rate', 'af_fast_ventricular_rate', false, { day: onsetDay },
        { day: onsetDay + days }, { days, ventricularRate: round(rate, 1), burdenHours: '1.5-5.5' })],
      apply(d) {
        // Under 6 h so this case isolates the rate criterion from the burden one.
        d.values.af_burden = d.rng.uniform(1.5, 5.5);
        d.values.af_ventricular_rate = Math.max(111, rate + d.rng.normal(0, 4));
        d.hrOffset += 8;
      },
    };
  },
};

interface Episode { atMs: number; type: 'vt' | 'vf'; atp: number; shocks: number }

export const ventricularArrhythmia: ScenarioDef = {
  name: 'ventricular_arrhythmia', kind: 'ventricular_arrhythmia', benign: false, share: 0.06, span: 15,
  eligible: (p) => isTachyDevice(p.type),
  create(ctx) {
    const { rng, onsetDay } = ctx;
    const count = rng.weighted({ 1: 0.6, 2: 0.25, 3: 0.15 });
    const episodes: Episode[] = [];
    for (let i = 0; i < Number(count); i++) {
      const day = onsetDay + (i === 0 ? 0 : rng.int(0, 14));
      const atMs = ctx.start + day * DAY_MS + rng.int(0, 24 * 60 - 1) * MINUTE_MS;
      const type = rng.chance(0.75) ? 'vt' : 'vf';
      // PainFREE Rx II: ATP ended ~72 % of fast VT; VF goes straight to shock.
      const atp = type === 'vt' ? rng.int(1, 3) : 0;
      const shocks = type === 'vf' || !rng.chance(0.72) ? (rng.chance(0.9) ? 1 : 2) : 0;
      episodes.push({ atMs, type, atp, shocks });
    }
    episodes.sort((a, b) => a.atMs - b.atMs);
    const first = episodes[0] as Episode;
    const last = episodes[episodes.length - 1] as Episode;
    const json: JsonValue[] = episodes.map((e) => ({ at: rfc3339(e.atMs), type: e.type, atp: e.atp, shocks: e.shocks }));
    const truths: TruthEvent[] = [truthOf(ctx, 'ventricular_arrhythmia', 'ventricular_arrhythmia', false,
      { ms: first.atMs }, { ms: last.atMs + HOUR_MS }, { episodes: json })];
    const shocked = episodes.filter((e) => e.shocks > 0);
    const firstShock = shocked[0];
    if (firstShock) {
      truths.push(truthOf(ctx, 'ventricular_arrhythmia', 'shock_delivered', false, { ms: firstShock.atMs },
        { ms: (shocked[shocked.length - 1] as Episode).atMs + HOUR_MS },
        { shocks: shocked.reduce((s, e) => s + e.shocks, 0) }));
    }
    const lastDay = Math.floor((last.atMs - ctx.start) / DAY_MS);
    return {
      firstDay: onsetDay,
      lastDay,
      truths,
      apply(d) {
        for (const e of episodes) {
          if (e.atMs < d.dayStart || e.atMs >= d.dayStart + DAY_MS) continue;
          const values: [string, number][] = [[e.type === 'vt' ? 'vt_episodes' : 'vf_episodes', 1],
            ['atp_delivered', e.atp], ['shocks_delivered', e.shocks]];
          if (e.shocks > 0) values.push(['charge_time', (d.values.charge_time ?? 8) * d.rng.uniform(0.97, 1.05)]);
          // The device uploads an alert transmission a few minutes after the episode.
          d.events.push({ atMs: e.atMs + d.rng.int(2, 8) * MINUTE_MS, values });
        }
      },
    };
  },
};
