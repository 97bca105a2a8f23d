import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, mergeConfig } from '../../../src/engine/config.ts';
import { riskStatus } from '../../../src/engine/hf/risk.ts';
import { acknowledgeResolved } from '../../../src/engine/policy.ts';
import { DAY, Device, T0, engineDay, wobble } from './stream.ts';

describe('fluid index (OptiVol style)', () => {
  const flatReference = mergeConfig(DEFAULT_CONFIG, { hf: { referenceAlphaDown: 0 } });

  it('adds each day shortfall below the reference and resets when the day crosses back', () => {
    const d = new Device(flatReference);
    d.nights(0, 34, { thoracic_impedance: 70 });
    const fi: number[] = [];
    for (const [day, ohm] of [[34, 65], [35, 65], [36, 62], [37, 70.5], [38, 69]] as const) {
      d.send(day, 'thoracic_impedance', ohm);
      fi.push(d.state.hf.fluidIndex);
    }
    // After crossing back the reference moves up (quickly) towards 70.5, to 70.05.
    expect(fi.map((x) => Math.round(x * 100) / 100)).toEqual([5, 10, 18, 0, 1.05]);
  });

  it('accumulates nothing during the 34 learning days', () => {
    const d = new Device(flatReference);
    d.nights(0, 10, { thoracic_impedance: 70 });
    d.nights(10, 24, { thoracic_impedance: 60 });
    expect(d.state.hf.fluidIndex).toBe(0);
  });

  it('lets the reference follow a slow, noisy fall without reaching the threshold', () => {
    const d = new Device();
    d.nights(0, 34, { thoracic_impedance: (day) => 70 + wobble(day, 1) });
    let peak = 0;
    for (let day = 34; day < 400; day++) {
      d.send(day, 'thoracic_impedance', 70 - (day - 34) * 0.02 + wobble(day, 1));
      peak = Math.max(peak, d.state.hf.fluidIndex);
    }
    expect(peak).toBeLessThan(DEFAULT_CONFIG.hf.fluidThreshold / 2);
  });

  it('raises the alert to high priority when the index reaches twice its threshold', () => {
    const fluidOnly = mergeConfig(DEFAULT_CONFIG, { hf: {
      referenceAlphaDown: 0,
      weights: { fluid: 1, impedance: 0, nightHeartRate: 0, activity: 0, hrv: 0, respiratoryRate: 0, afBurden: 0, crtPacing: 0, ventricular: 0 },
    } });
    const d = new Device(fluidOnly);
    d.nights(0, 34, { thoracic_impedance: 70 });
    const out = d.nights(34, 10, { thoracic_impedance: 55 });
    expect(out.map((x) => `${x.action}:${x.priority}:${x.evidence.fluidIndex}`)).toEqual(['open:medium:30', 'update:high:120']);
  });

  it('reaches High on its own exactly at the OptiVol threshold with the default weights', () => {
    // Fluid weight = highLevel (0.45): 59 Ohm·d scores 0.4425, 60 scores 0.45.
    const fluidAlone = mergeConfig(DEFAULT_CONFIG, { hf: { referenceAlphaDown: 0, weights: { impedance: 0 } } });
    const d = new Device(fluidAlone);
    d.nights(0, 34, { thoracic_impedance: 70 });
    expect(d.nights(34, 2, { thoracic_impedance: 40.5 })).toEqual([]);
    expect(d.state.hf.fluidIndex).toBe(59);
    expect(d.send(36, 'thoracic_impedance', 69)).toMatchObject([{ kind: 'hf_decompensation', action: 'open', score: 0.45 }]);
  });
});

describe('impedance fall in the daily score', () => {
  // Only the impedance component, unsmoothed: the day's fall below the baseline in % / 3. A
  // clip of 0 sd freezes each baseline once learned, so every day's score is exact.
  const impedanceOnly = mergeConfig(DEFAULT_CONFIG, { baseline: { clipSd: 0 }, hf: {
    inputAlpha: 1,
    weights: { fluid: 0, impedance: 1, nightHeartRate: 0, activity: 0, hrv: 0, respiratoryRate: 0, afBurden: 0, crtPacing: 0, ventricular: 0 },
  } });

  it('opens just over High (0.45) and not just under it', () => {
    const d = new Device(impedanceOnly);
    expect(d.nights(0, 40, { thoracic_impedance: 70 })).toEqual([]);
    // 1.3 % below the baseline: 0.433, under High (and above Medium).
    expect(d.send(40, 'thoracic_impedance', 70 * (1 - 0.013))).toEqual([]);
    expect(riskStatus(d.state, engineDay(40), impedanceOnly)).toBe('Medium');
    // 1.4 %: 0.467.
    const [alert] = d.send(41, 'thoracic_impedance', 70 * (1 - 0.014));
    expect(alert).toMatchObject({ kind: 'hf_decompensation', action: 'open', priority: 'medium', score: 0.47 });
    expect(alert?.evidence.impedanceChangePct).toBe(-1);
    expect(alert?.summary).toMatch(/; impedance -1\.4 %$/);
  });

  it('compares with the learned baseline only: silent while learning', () => {
    const d = new Device(impedanceOnly);
    d.nights(0, 10, { thoracic_impedance: 70 });
    expect(d.nights(10, 5, { thoracic_impedance: 60 })).toEqual([]);
  });

  it('is smoothed like the other inputs: one low night moves it by inputAlpha (0.5)', () => {
    const smoothed = mergeConfig(impedanceOnly, { hf: { inputAlpha: 0.5 } });
    const d = new Device(smoothed);
    d.nights(0, 40, { thoracic_impedance: 70 });
    // 2.4 % below for one night: the smoothed fall is 1.2 % (0.4, under High).
    expect(d.send(40, 'thoracic_impedance', 70 * (1 - 0.024))).toEqual([]);
    // A second such night: 1.8 % (0.6).
    expect(d.send(41, 'thoracic_impedance', 70 * (1 - 0.024))).toMatchObject([{ action: 'open' }]);
  });
});

describe('heart-failure risk and hysteresis', () => {
  // Only night heart rate, unsmoothed, so each day's score is known: (rate - baseline) / 10.
  // Default levels: Medium 0.3, High 0.45, recovery below 0.25 for 7 days. A clip of 0 sd
  // freezes the baseline once learned, so every day's score is exact.
  const nightOnly = mergeConfig(DEFAULT_CONFIG, { baseline: { clipSd: 0 }, hf: {
    inputAlpha: 1, scales: { nightHeartRateRise: 10 },
    weights: { fluid: 0, impedance: 0, nightHeartRate: 1, activity: 0, hrv: 0, respiratoryRate: 0, afBurden: 0, crtPacing: 0, ventricular: 0 },
  } });

  it('opens at High exactly (0.45) and not just under it', () => {
    const d = new Device(nightOnly);
    d.nights(0, 40, { night_heart_rate: 60 });
    expect(d.send(40, 'night_heart_rate', 64.4)).toEqual([]);
    expect(d.send(41, 'night_heart_rate', 64.5)).toMatchObject([{ action: 'open', score: 0.45 }]);
  });

  it('counts a day at the recovery level as not recovered, just under it as recovered', () => {
    const d = new Device(nightOnly);
    d.nights(0, 40, { night_heart_rate: 60 });
    expect(d.send(40, 'night_heart_rate', 67)).toMatchObject([{ action: 'open' }]);
    // 0.25 for 7 days is not below the recovery level: still latched.
    d.nights(41, 7, { night_heart_rate: 62.5 });
    expect(d.send(48, 'night_heart_rate', 67)).toEqual([]);
    // 0.24 for 7 days is: the next High triggers again (an update: the alert is still open).
    d.nights(49, 7, { night_heart_rate: 62.4 });
    expect(d.send(56, 'night_heart_rate', 67)).toMatchObject([{ action: 'update' }]);
  });

  it('opens once on entering High and re-arms only after 7 days below the recovery level', () => {
    const d = new Device(nightOnly);
    expect(d.nights(0, 40, { night_heart_rate: 60 })).toEqual([]);
    // The alert's score is the day's HF score, (67 - 60) / 10, not the reading score.
    expect(d.send(40, 'night_heart_rate', 67)).toMatchObject([{ kind: 'hf_decompensation', action: 'open', priority: 'medium', score: 0.7 }]);
    // Between recovery and High (0.35), then High again: the same decompensation, no new trigger.
    expect(d.nights(41, 5, { night_heart_rate: 63.5 })).toEqual([]);
    expect(d.send(46, 'night_heart_rate', 67)).toEqual([]);
    // Six quiet days are not a recovery.
    expect(d.nights(47, 6, { night_heart_rate: 60 })).toEqual([]);
    expect(d.send(53, 'night_heart_rate', 67)).toEqual([]);
    // Seven are: the next High is news again, an update of the alert still open.
    expect(d.nights(54, 7, { night_heart_rate: 60 })).toEqual([]);
    expect(d.send(61, 'night_heart_rate', 67)).toMatchObject([{ action: 'update' }]);
    d.state = acknowledgeResolved(d.state, 'hf_decompensation');
    d.nights(62, 8, { night_heart_rate: 60 });
    expect(d.send(70, 'night_heart_rate', 67)).toMatchObject([{ action: 'open' }]);
  });

  it('reports risk status as the highest daily level of the last 30 days', () => {
    const d = new Device(nightOnly);
    d.nights(0, 40, { night_heart_rate: 60 });
    expect(riskStatus(d.state, engineDay(40), nightOnly)).toBe('Low');
    d.send(40, 'night_heart_rate', 67);
    d.nights(41, 40, { night_heart_rate: 60 });
    expect(riskStatus(d.state, engineDay(69), nightOnly)).toBe('High');
    expect(riskStatus(d.state, engineDay(70), nightOnly)).toBe('Low');
    // 0.44, just under High: Medium.
    d.send(81, 'night_heart_rate', 64.4);
    expect(riskStatus(d.state, engineDay(81), nightOnly)).toBe('Medium');
    d.nights(82, 40, { night_heart_rate: 60 });
    // 0.29, just under Medium: Low; 0.3: Medium.
    d.send(122, 'night_heart_rate', 62.9);
    expect(riskStatus(d.state, engineDay(122), nightOnly)).toBe('Low');
    d.send(123, 'night_heart_rate', 63);
    expect(riskStatus(d.state, engineDay(123), nightOnly)).toBe('Medium');
  });

  it('stays silent before the baselines are learned', () => {
    const d = new Device(nightOnly);
    d.nights(0, 10, { night_heart_rate: 60 });
    expect(d.nights(10, 5, { night_heart_rate: 90 })).toEqual([]);
  });

  it('raises one alert for a realistic decompensation, summarised like the contract', () => {
    const d = new Device();
    const base = { thoracic_impedance: 70, night_heart_rate: 62, activity: 230, hrv_sdaam: 105, respiratory_rate: 16 };
    const at = (k: number, amp: number, delta: number) => (day: number) => k + delta + wobble(day, amp);
    expect(d.nights(0, 60, {
      thoracic_impedance: at(70, 1, 0), night_heart_rate: at(62, 2, 0), activity: at(230, 20, 0),
      hrv_sdaam: at(105, 5, 0), respiratory_rate: at(16, 0.4, 0),
    })).toEqual([]);
    // MID-HeFT: impedance -12 % over about 18 days; night rate, respiration up; activity, HRV down.
    const ramp = (day: number) => Math.min(1, (day - 60) / 18);
    const out = d.nights(60, 22, {
      thoracic_impedance: (day) => base.thoracic_impedance * (1 - 0.12 * ramp(day)),
      night_heart_rate: (day) => base.night_heart_rate + 8 * ramp(day),
      activity: (day) => base.activity * (1 - 0.35 * ramp(day)),
      hrv_sdaam: (day) => base.hrv_sdaam * (1 - 0.2 * ramp(day)),
      respiratory_rate: (day) => base.respiratory_rate + 1.8 * ramp(day),
    });
    expect(out).toHaveLength(1);
    const [alert] = out;
    // Early: on day 6 of the 18-day fall (impedance about -4 %), 12 days before the trough.
    expect(alert?.trigger.at).toBeLessThan(T0 + 67 * DAY);
    expect(alert).toMatchObject({ kind: 'hf_decompensation', action: 'open', priority: 'medium' });
    expect(alert?.summary).toMatch(/^Fluid index \d+ Ohm·d \(threshold 60\); .*night heart rate \+\d+\/min/);
    expect(alert?.evidence).toMatchObject({ riskStatus: 'High' });
    expect(alert?.evidence.fluidIndex).toBeGreaterThan(0);
    expect(alert?.evidence.activityChangePct).toBeLessThan(0);
    // Recovery: back to baseline; nothing more is raised.
    expect(d.nights(82, 60, base)).toEqual([]);
  });
});
