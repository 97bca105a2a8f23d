// The evaluation's matching rules on hand-made truth and episodes with known answers.
import { describe, expect, it } from 'vitest';
import type { AlertKind } from '../../../src/engine/index.ts';
import type { AlertEpisode } from '../../../simulators/evaluate/episodes.ts';
import { deadline, detectWindow, explainWindow, tallyKind, type Exposure } from '../../../simulators/evaluate/match.ts';
import { measure, type KindMeasures } from '../../../simulators/evaluate/measures.ts';
import type { TruthEvent } from '../../../simulators/index.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2025, 0, 1);
const iso = (day: number): string => new Date(T0 + day * DAY).toISOString();
const at = (day: number): number => T0 + day * DAY;

function truth(kind: AlertKind, device: string, onset: number, end: number, extra: Partial<TruthEvent> = {}): TruthEvent {
  return {
    patientId: `p-${device}`, device, site: 'sim', kind, scenario: 'hf_decompensation', benign: false,
    onset: iso(onset), end: iso(end), params: {}, ...extra,
  };
}

const hf = (device: string, onset: number, admission: number, end: number): TruthEvent =>
  truth('hf_decompensation', device, onset, end, { params: { admission: iso(admission) } });

function episode(kind: AlertKind, device: string, day: number): AlertEpisode {
  return { device, kind, openedAt: at(day), lastSeenAt: at(day), occurrences: 1 };
}

// 100 patients, all eligible, over 365 days: 100 patient-years, 100/100 × 365/7 = 52.14 hundred-patient-weeks.
const EXPOSURE: Exposure = { patients: 100, eligiblePatients: 100, days: 365 };

const evaluateKind = (kind: AlertKind, events: TruthEvent[], episodes: AlertEpisode[], exposure = EXPOSURE): KindMeasures =>
  measure(tallyKind(kind, events, episodes, exposure));

describe('match windows', () => {
  it('heart failure: from 14 days before onset to the admission; explained up to the end', () => {
    const t = hf('d1', 100, 120, 130);
    expect(deadline(t)).toBe(at(120));
    expect(detectWindow(t)).toEqual([at(86), at(120)]);
    expect(explainWindow(t)).toEqual([at(86), at(130)]);
  });

  it('other kinds: from 1 day before onset to 2 days after the end', () => {
    const t = truth('af_burden', 'd1', 50, 60);
    expect(deadline(t)).toBe(at(60));
    expect(detectWindow(t)).toEqual([at(49), at(62)]);
    expect(explainWindow(t)).toEqual([at(49), at(62)]);
  });

  it('a look-alike has no lead before its onset', () => {
    const t = truth('af_burden', 'd1', 50, 52, { benign: true, scenario: 'brief_af_run' });
    expect(detectWindow(t)).toEqual([at(50), at(54)]);
  });
});

describe('tallyKind and measure', () => {
  it('counts a detection on both edges of the window and none just outside', () => {
    const events = [hf('a', 100, 120, 130), hf('b', 100, 120, 130), hf('c', 100, 120, 130), hf('d', 100, 120, 130)];
    const episodes = [
      episode('hf_decompensation', 'a', 86), // first instant of the window: detected, 34 d warning
      episode('hf_decompensation', 'b', 120), // at the admission: detected, 0 d warning
      { ...episode('hf_decompensation', 'c', 86), openedAt: at(86) - 1 }, // 1 ms early: unexplained
      { ...episode('hf_decompensation', 'd', 120), openedAt: at(120) + 1 }, // 1 ms late: late, not unexplained
    ];
    const r = evaluateKind('hf_decompensation', events, episodes);
    expect(r).toMatchObject({ events: 4, detected: 2, sensitivity: 0.5, openings: 4, explained: 3, unexplained: 1, ppv: 0.75 });
    expect(r.warningDays).toEqual({ p25: 8.5, median: 17, p75: 25.5 });
    expect(r.unexplainedPerEligiblePatientYear).toBeCloseTo(0.01, 10);
    expect(r.burdenPer100PatientWeeks).toBeCloseTo(4 / (365 / 7), 10);
  });

  it('an alert of the right kind on another device, or of another kind on the device, matches nothing', () => {
    const events = [truth('af_burden', 'a', 10, 20)];
    const episodes = [episode('af_burden', 'b', 12), episode('crt_pacing_loss', 'a', 12)];
    const r = evaluateKind('af_burden', events, episodes);
    expect(r).toMatchObject({ detected: 0, openings: 1, unexplained: 1, ppv: 0 });
    expect(r.warningDays.median).toBeNaN();
  });

  it('measures warning from the earliest detecting episode, and counts each episode for burden', () => {
    const events = [truth('af_burden', 'a', 10, 40)];
    const episodes = [episode('af_burden', 'a', 30), episode('af_burden', 'a', 12)];
    const r = evaluateKind('af_burden', events, episodes);
    expect(r).toMatchObject({ detected: 1, openings: 2, unexplained: 0, ppv: 1 });
    expect(r.warningDays.median).toBe(28);
  });

  it('a device-level event reported the day after its end still matches (grace 2 days, inclusive)', () => {
    const events = [truth('shock_delivered', 'a', 10, 10), truth('shock_delivered', 'b', 10, 10)];
    const episodes = [episode('shock_delivered', 'a', 12), { ...episode('shock_delivered', 'b', 12), openedAt: at(12) + 1 }];
    const r = evaluateKind('shock_delivered', events, episodes);
    expect(r).toMatchObject({ events: 2, detected: 1, unexplained: 1 });
    expect(r.warningDays.median).toBe(-2);
  });

  it('a benign look-alike is not an event: its alert is counted as alerted, unexplained, and lowers PPV', () => {
    const events = [
      truth('hf_decompensation', 'a', 50, 52, { benign: true, scenario: 'noisy_night' }),
      truth('hf_decompensation', 'b', 50, 52, { benign: true, scenario: 'noisy_night' }),
    ];
    // 'b' alerted 10 days before its look-alike: outside the look-alike's window, still unexplained.
    const episodes = [episode('hf_decompensation', 'a', 51), episode('hf_decompensation', 'b', 40)];
    const r = evaluateKind('hf_decompensation', events, episodes);
    expect(r).toMatchObject({ events: 0, detected: 0, benignEvents: 2, benignAlerted: 1, openings: 2, explained: 0, ppv: 0 });
    expect(r.sensitivity).toBeNaN();
    expect(r.sensitivityCi.every(Number.isNaN)).toBe(true);
  });

  it('an alert explained by a real event is not unexplained even beside a look-alike', () => {
    const events = [hf('a', 100, 120, 130), truth('hf_decompensation', 'a', 110, 112, { benign: true, scenario: 'low_activity_week' })];
    const r = evaluateKind('hf_decompensation', events, [episode('hf_decompensation', 'a', 111)]);
    expect(r).toMatchObject({ detected: 1, unexplained: 0, ppv: 1, benignAlerted: 1 });
    expect(r.warningDays.median).toBe(9);
  });

  it('heart failure without an admission falls back to the event end', () => {
    const t = truth('hf_decompensation', 'a', 100, 130);
    expect(deadline(t)).toBe(at(130));
  });
});
