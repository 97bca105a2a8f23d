import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, mergeConfig } from '../../../src/engine/config.ts';
import { hfStatus, riskStatus } from '../../../src/engine/hf/risk.ts';
import { acknowledgeResolved } from '../../../src/engine/policy.ts';
import type { AlertDecision } from '../../../src/engine/types.ts';
import { engineDay } from './stream.ts';
import { BASE, HfPatient } from './hf-patient.ts';

const QUIET = 60;
const hf = (out: AlertDecision[]) => out.filter((d) => d.kind === 'hf_decompensation');

describe('heart-failure fusion: two independent sensors below a standalone fluid index', () => {
  it('raises nothing when one sensor alone moves far outside the patient\'s spread', () => {
    for (const [metric, change] of [['night_heart_rate', 15], ['respiratory_rate', 4], ['activity', -150], ['thoracic_impedance', -3]] as const) {
      const p = new HfPatient();
      p.nights(0, QUIET);
      expect(hf(p.nights(QUIET, 20, () => ({ [metric]: change })))).toEqual([]);
      // One abnormal sensor is Medium, never High.
      expect(riskStatus(p.state, engineDay(QUIET + 19), DEFAULT_CONFIG)).toBe('Medium');
    }
  });

  it('opens on the second High day when two sensors move together', () => {
    const p = new HfPatient();
    p.nights(0, QUIET);
    // Impedance −6 % and night heart rate +10/min, both far outside the patient's own spread.
    const out = hf(p.nights(QUIET, 6, () => ({ thoracic_impedance: -4.2, night_heart_rate: 10 })));
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ action: 'open', priority: 'medium' });
    // The first High day is not enough: persistence needs two of three.
    expect(p.device.decisions.filter((d) => d.kind === 'hf_decompensation')[0]?.trigger.at)
      .toBeGreaterThanOrEqual(Date.UTC(2025, 0, 1) + (QUIET + 1) * 86_400_000);
  });

  it('lets the fluid index stand alone when the fall is far outside the patient\'s spread, high priority at twice the threshold', () => {
    const p = new HfPatient(DEFAULT_CONFIG, 'fluid', ['thoracic_impedance']);
    p.nights(0, QUIET);
    // −10 Ohm a night, ten of the patient's spreads: the index passes 60 on the sixth night.
    const out = hf(p.nights(QUIET, 16, () => ({ thoracic_impedance: -10 })));
    expect(out.map((d) => `${d.action}:${d.priority}`)).toEqual(['open:medium', 'update:high']);
    expect(out[0]?.evidence.fluidIndex).toBeGreaterThanOrEqual(60);
    expect(out[1]?.evidence.fluidIndex).toBeGreaterThanOrEqual(120);
  });

  it('raises nothing from a fluid index past 100 when the fall is within the patient\'s own variation', () => {
    // A patient whose impedance wanders widely (SD 2.5 Ohm) settles at −4 Ohm for a month: the
    // shortfall adds up past 100 Ohm·days, yet is under 3.5 of the patient's spreads, and no
    // other sensor moves.
    const p = new HfPatient(DEFAULT_CONFIG, 'volatile-fluid', undefined, 2.5);
    p.nights(0, QUIET);
    p.noise = 0;
    let peak = 0;
    for (let day = QUIET; day < QUIET + 40; day++) {
      expect(hf(p.night(day, { thoracic_impedance: -4 }))).toEqual([]);
      peak = Math.max(peak, p.state.hf.fluidIndex);
    }
    expect(peak).toBeGreaterThanOrEqual(100);
  });

  it('judges a change against the patient\'s own spread: news for a steady patient, noise for a volatile one', () => {
    const change = () => ({ thoracic_impedance: -3.5, night_heart_rate: 7 });
    const steady = new HfPatient(DEFAULT_CONFIG, 'steady', undefined, 0.5);
    steady.nights(0, QUIET);
    expect(hf(steady.nights(QUIET, 10, change))).toHaveLength(1);
    const volatile = new HfPatient(DEFAULT_CONFIG, 'volatile', undefined, 2.5);
    volatile.nights(0, QUIET);
    expect(hf(volatile.nights(QUIET, 10, change))).toEqual([]);
  });
});

describe('heart-failure hysteresis', () => {
  const episode = () => ({ thoracic_impedance: -4.2, night_heart_rate: 10, respiratory_rate: 2 });

  it('opens one alert for a decompensation that flickers, even when the clinic resolves it daily', () => {
    const p = new HfPatient();
    p.nights(0, QUIET);
    let opened = 0;
    for (let day = QUIET; day < QUIET + 40; day++) {
      // High two days in three, half-way the other: never quiet long enough to recover.
      const add = day % 3 === 2 ? { thoracic_impedance: -2, night_heart_rate: 4 } : episode();
      opened += hf(p.night(day, add)).filter((d) => d.action === 'open').length;
      p.device.state = acknowledgeResolved(p.device.state, 'hf_decompensation');
    }
    expect(opened).toBe(1);
  });

  it('re-arms after recoveryDays below the recovery level: a second decompensation is a second alert', () => {
    const p = new HfPatient();
    p.nights(0, QUIET);
    expect(hf(p.nights(QUIET, 10, episode))).toHaveLength(1);
    p.device.state = acknowledgeResolved(p.device.state, 'hf_decompensation');
    // Six quiet days are not a recovery.
    p.nights(QUIET + 10, 6);
    expect(hf(p.nights(QUIET + 16, 5, episode))).toEqual([]);
    // Ten are.
    p.nights(QUIET + 21, 10);
    expect(hf(p.nights(QUIET + 31, 5, episode)).map((d) => d.action)).toEqual(['open']);
  });
});

describe('heart-failure status and evidence', () => {
  it('says insufficient_data, not Low, when the device reports no thoracic impedance', () => {
    const p = new HfPatient(DEFAULT_CONFIG, 'pacemaker', ['night_heart_rate', 'activity', 'hrv_sdaam']);
    p.nights(0, QUIET);
    expect(hfStatus(p.state, engineDay(QUIET), DEFAULT_CONFIG)).toBe('insufficient_data');
    // Without impedance nothing opens, however much the other sensors move.
    expect(hf(p.nights(QUIET, 20, () => ({ night_heart_rate: 15, activity: -150, hrv_sdaam: -40 })))).toEqual([]);
    const full = new HfPatient();
    full.nights(0, QUIET);
    expect(hfStatus(full.state, engineDay(QUIET), DEFAULT_CONFIG)).toBe('Low');
  });

  it('says insufficient_data while the baselines are still being learned', () => {
    const p = new HfPatient();
    p.nights(0, 10);
    expect(hfStatus(p.state, engineDay(10), DEFAULT_CONFIG)).toBe('insufficient_data');
    expect(hf(p.nights(10, 10, () => ({ thoracic_impedance: -8, night_heart_rate: 15 })))).toEqual([]);
  });

  it('re-weights over the sensors available: a device without respiration still alerts on two others', () => {
    const p = new HfPatient(DEFAULT_CONFIG, 'no-rr', ['thoracic_impedance', 'night_heart_rate', 'activity']);
    p.nights(0, QUIET);
    expect(hf(p.nights(QUIET, 6, () => ({ thoracic_impedance: -4.2, activity: -120 })))).toHaveLength(1);
  });

  it('takes the absolute TriageHF criteria as modifiers, never as the second sensor', () => {
    // Night heart rate of 90 all along: over TriageHF's 85/min, but the patient's usual.
    const p = new HfPatient(DEFAULT_CONFIG, 'fast-nights');
    p.nights(0, QUIET, () => ({ night_heart_rate: 28 }));
    expect(hf(p.nights(QUIET, 20, () => ({ night_heart_rate: 28, thoracic_impedance: -3 })))).toEqual([]);
    expect(p.state.hf.lastScore).toBeGreaterThan(0);
  });

  it('names each signal that drove the alert with its change and the patient\'s baseline', () => {
    const p = new HfPatient(DEFAULT_CONFIG, 'explain', undefined, 0.3);
    p.nights(0, QUIET);
    const [alert] = hf(p.nights(QUIET, 6, () => ({ thoracic_impedance: -7, night_heart_rate: 9, activity: -80 })));
    expect(alert?.summary).toMatch(/^Fluid index \d+ Ohm·d \(threshold 60\); /);
    expect(alert?.summary).toMatch(/thoracic impedance −\d+(\.\d)? % \(baseline 70 Ohm\)/);
    expect(alert?.summary).toMatch(/night heart rate \+\d+\/min \(baseline 62\/min\)/);
    expect(alert?.summary).toMatch(/activity −\d+ % \(baseline 2\d\d min\/d\)/);
    expect(alert?.summary).not.toMatch(/respiratory rate/);
    expect(alert?.evidence).toMatchObject({ riskStatus: 'High', nightHeartRateBaseline: expect.closeTo(BASE.night_heart_rate as number, 0) });
    expect(alert?.evidence.impedanceChangePct).toBeLessThan(0);
    expect(alert?.evidence.activityChangePct).toBeLessThan(0);
    expect(alert?.evidence.sensorsAbnormal).toBeGreaterThanOrEqual(2);
  });
});

describe('heart-failure monitoring days', () => {
  it('counts one night once when the upload moves across UTC midnight with summer time', () => {
    const config = mergeConfig(DEFAULT_CONFIG, {});
    const p = new HfPatient(config, 'dst', ['thoracic_impedance']);
    // 00:30 local: 23:30 UTC the day before in summer, 00:30 UTC in winter.
    for (let day = 0; day < 60; day++) {
      const minutes = day < 30 ? -30 : 30;
      p.device.send(day, 'thoracic_impedance', 70, minutes);
    }
    expect(p.state.hf.day).toBe(59);
    expect(p.state.hf.impedanceDays).toBe(60);
  });

  it('takes a second value of the same night as a correction, not a new day', () => {
    const p = new HfPatient(DEFAULT_CONFIG, 'resend', ['thoracic_impedance']);
    p.nights(0, 40);
    const before = p.state.hf.inputs.thoracic_impedance?.pushed;
    p.device.send(40, 'thoracic_impedance', 69, 120);
    p.device.send(40, 'thoracic_impedance', 69, 150);
    expect(p.state.hf.day).toBe(40);
    expect(p.state.hf.inputs.thoracic_impedance?.pushed).toBe((before ?? 0) + 1);
  });
});
