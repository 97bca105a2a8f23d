import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createCohort } from '../../../simulators/cohort.ts';
import { collect } from '../../../simulators/calibrate/collect.ts';
import { sdAndLag1 } from '../../../simulators/calibrate/figures.ts';
import { lastSundayOneAmUtc, londonLocalToUtc, londonOffsetMinutes } from '../../../simulators/realism/london-time.ts';
import type { NoiseProfile } from '../../../simulators/types.ts';

function hashOf(profile?: NoiseProfile, patients = 3, days = 5, seed = 'pin'): string {
  const c = createCohort({ patients, days, seed, ...(profile ? { profile } : {}) });
  const h = createHash('sha256');
  for (const r of c.readings()) h.update(`${r.device}|${r.seq}|${r.at}|${r.metric}|${r.value}\n`);
  h.update(JSON.stringify(c.truth));
  return h.digest('hex');
}

const CONFOUNDERS = new Set(['respiratory_infection', 'diuretic_change', 'home_congestion']);

describe('noise profiles', () => {
  it('leaves the clean profile byte for byte as it was before the calibrated one existed', () => {
    // Pinned before the calibrated profile was added.
    expect(hashOf()).toBe('170c0a3a2c41a495c9f3ad700e810032e112bfb795440c695a9377107776ea73');
    expect(hashOf('clean')).toBe('170c0a3a2c41a495c9f3ad700e810032e112bfb795440c695a9377107776ea73');
  }, 30_000);

  it('repeats the calibrated profile for a seed and differs from clean', () => {
    const a = hashOf('calibrated', 20, 60, 'r');
    expect(hashOf('calibrated', 20, 60, 'r')).toBe(a);
    expect(hashOf('clean', 20, 60, 'r')).not.toBe(a);
    expect(hashOf('double', 20, 60, 'r')).not.toBe(a);
  }, 30_000);

  it('makes daily impedance autocorrelated in calibrated, not in clean', () => {
    const lag1 = (profile: NoiseProfile): number => {
      const c = createCohort({ patients: 80, days: 200, seed: 'ac', profile, scenarios: {} });
      const r1s = collect(c).filter((s) => s.hf).map((s) => sdAndLag1(s.values.thoracic_impedance).r1)
        .filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
      return r1s[r1s.length >> 1] ?? Number.NaN;
    };
    expect(lag1('calibrated')).toBeGreaterThan(0.4);
    expect(Math.abs(lag1('clean'))).toBeLessThan(0.2);
  }, 60_000);

  it('adds confounders as benign HF look-alikes only outside the clean profile', () => {
    const truth = (profile: NoiseProfile) => createCohort({ patients: 150, days: 365, seed: 'cf', profile }).truth;
    expect(truth('clean').some((t) => CONFOUNDERS.has(t.scenario))).toBe(false);
    for (const profile of ['calibrated', 'double'] as const) {
      const found = truth(profile).filter((t) => CONFOUNDERS.has(t.scenario));
      expect(new Set(found.map((t) => t.scenario))).toEqual(CONFOUNDERS);
      expect(found.every((t) => t.benign && t.kind === 'hf_decompensation')).toBe(true);
    }
  }, 60_000);

  it('gives calibrated decompensations an admission and each signal its own onset and size', () => {
    const hf = createCohort({ patients: 300, days: 365, seed: 'hf', profile: 'calibrated' }).truth
      .filter((t) => t.scenario === 'hf_decompensation' && !t.benign);
    expect(hf.length).toBeGreaterThan(5);
    for (const t of hf) {
      expect(typeof t.params.admission).toBe('string');
      const signals = t.params.signals as Record<string, { onsetDaysBeforeAdmission: number; size: number }>;
      expect(Object.keys(signals).length).toBe(5);
      for (const s of Object.values(signals)) expect(s.onsetDaysBeforeAdmission).toBeGreaterThanOrEqual(1);
    }
    const onsets = new Set(hf.map((t) => (t.params.signals as Record<string, { onsetDaysBeforeAdmission: number }>)
      .thoracicImpedanceFallPct?.onsetDaysBeforeAdmission));
    expect(onsets.size).toBeGreaterThan(3);
  }, 60_000);

  it('starts a device implanted during the run at its implant, with nothing before', () => {
    const c = createCohort({ patients: 200, days: 150, seed: 'imp', profile: 'calibrated', scenarios: {} });
    const late = collect(c).filter((s) => s.firstDay > 3);
    expect(late.length).toBeGreaterThan(10);
    for (const s of late) expect(s.nightly.slice(0, s.firstDay).every((x) => x === 0)).toBe(true);
  }, 60_000);
});

describe('UK civil time', () => {
  it('finds the last Sundays of March and October', () => {
    expect(new Date(lastSundayOneAmUtc(2025, 2)).toISOString()).toBe('2025-03-30T01:00:00.000Z');
    expect(new Date(lastSundayOneAmUtc(2025, 9)).toISOString()).toBe('2025-10-26T01:00:00.000Z');
    expect(new Date(lastSundayOneAmUtc(2026, 2)).toISOString()).toBe('2026-03-29T01:00:00.000Z');
    expect(new Date(lastSundayOneAmUtc(2024, 9)).toISOString()).toBe('2024-10-27T01:00:00.000Z');
  });

  it('is an hour ahead of UTC in summer time only, switching at 01:00 UTC', () => {
    expect(londonOffsetMinutes(Date.parse('2025-01-15T12:00:00Z'))).toBe(0);
    expect(londonOffsetMinutes(Date.parse('2025-07-15T12:00:00Z'))).toBe(60);
    expect(londonOffsetMinutes(Date.parse('2025-03-30T00:59:59Z'))).toBe(0);
    expect(londonOffsetMinutes(Date.parse('2025-03-30T01:00:00Z'))).toBe(60);
    expect(londonOffsetMinutes(Date.parse('2025-10-26T00:59:59Z'))).toBe(60);
    expect(londonOffsetMinutes(Date.parse('2025-10-26T01:00:00Z'))).toBe(0);
  });

  it('maps a local night-time upload to UTC', () => {
    const iso = (day: string, minute: number): string => new Date(londonLocalToUtc(Date.parse(`${day}T00:00:00Z`), minute)).toISOString();
    expect(iso('2025-01-10', 180)).toBe('2025-01-10T03:00:00.000Z');
    expect(iso('2025-07-10', 180)).toBe('2025-07-10T02:00:00.000Z');
    // The night of the autumn change: 03:00 local is GMT again.
    expect(iso('2025-10-26', 180)).toBe('2025-10-26T03:00:00.000Z');
    expect(iso('2025-10-26', 30)).toBe('2025-10-25T23:30:00.000Z');
  });

  it('moves a calibrated device upload by an hour of UTC across the spring change', () => {
    const c = createCohort({ patients: 1, days: 120, seed: 'dst', profile: 'calibrated', scenarios: {}, noise: { missingNightRate: 0, duplicateRate: 0, unplugRate: 0 } });
    const minutes = new Map<string, number>();
    for (const t of c.transmissions()) {
      if (t.kind !== 'nightly') continue;
      const d = new Date(t.atMs);
      minutes.set(d.toISOString().slice(0, 10), d.getUTCHours() * 60 + d.getUTCMinutes());
    }
    const winter = minutes.get('2025-03-20');
    const summer = minutes.get('2025-04-10');
    if (winter === undefined || summer === undefined) return; // a night away from the monitor
    expect(winter - summer).toBeGreaterThanOrEqual(60 - 30);
    expect(winter - summer).toBeLessThanOrEqual(60 + 30);
  }, 30_000);
});
