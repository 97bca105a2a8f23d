// The summary column of a profile and the targets' PASS/FAIL marks on it.
import { describe, expect, it } from 'vitest';
import type { AlertKind } from '../../../src/engine/index.ts';
import { KINDS } from '../../../simulators/evaluate/kinds.ts';
import type { KindTally } from '../../../simulators/evaluate/match.ts';
import { allKinds, measure } from '../../../simulators/evaluate/measures.ts';
import { judge, summarize, type SummaryColumn } from '../../../simulators/evaluate/summary.ts';
import { report } from '../../../simulators/evaluate/table.ts';
import { measureProfile, type EvaluationResult } from '../../../simulators/evaluate/evaluate.ts';
import { HF_REFERENCES } from '../../../simulators/evaluate/published.ts';
import { NEXT_DAY_CLINIC } from '../../../simulators/evaluate/episodes.ts';

// 1000 patients (400 HF-monitored) over 365 days.
function tally(kind: AlertKind, events: number, detected: number, openings: number, explained: number, warnings: number[] = []): KindTally {
  return {
    kind, events, detected, openings, explained, warnings, benignEvents: 0, benignAlerted: 0,
    eligiblePatientDays: (kind === 'hf_decompensation' ? 400 : 1000) * 365, patientDays: 1000 * 365,
  };
}

/** The other eight kinds: 10 events, 9 detected, `openings` openings of which 90 % explained. */
function tallies(hf: KindTally, openings = 20): KindTally[] {
  return KINDS.map((k) => (k === 'hf_decompensation' ? hf : tally(k, 10, 9, openings, openings * 0.9)));
}

function column(hf: KindTally, openings = 20): SummaryColumn {
  const t = tallies(hf, openings);
  return summarize('calibrated', t.map(measure), measure(allKinds(t)));
}

describe('summarize', () => {
  it('takes heart failure from its kind, device events summed over the other eight, burden over all kinds', () => {
    const c = column(tally('hf_decompensation', 40, 36, 100, 80, [10, 14, 20, 30]));
    expect(c).toMatchObject({
      profile: 'calibrated', hfEvents: 40, hfDetected: 36, hfSensitivity: 0.9, hfPpv: 0.8,
      hfUnexplainedPerHfPatientYear: 20 / 400, hfMedianWarningDays: 17, deviceEvents: 80, deviceEventsDetected: 72,
    });
    expect(c.hfWarningDays).toEqual({ p25: 13, median: 17, p75: 22.5 });
    // 100 + 8 × 20 openings over 1000/100 × 365/7 hundred-patient-weeks.
    expect(c.burdenPer100PatientWeeks).toBeCloseTo(260 / (10 * (365 / 7)), 12);
  });
});

describe('judge', () => {
  it('marks each target PASS or FAIL on the judged column, on its boundary inclusive', () => {
    // 85 % exactly, 200 unexplained / 400 pt-yr = 0.5 exactly, median 14 exactly, and
    // (217 + 8 × 102) openings / (10 × 365/7) hundred-patient-weeks = 1.981 per 100 per week.
    const ok = judge(column(tally('hf_decompensation', 20, 17, 217, 17, [14, 14, 14]), 102));
    expect(ok.map((t) => [t.measure, t.pass])).toEqual([
      ['hfSensitivity', true], ['hfUnexplainedPerHfPatientYear', true], ['hfMedianWarningDays', true],
      ['burdenPer100PatientWeeks', true],
    ]);
    // Just past each: 16/20, 201 unexplained, 13.9 d, (218 + 8 × 104) / 521.4 = 2.014.
    const bad = judge(column(tally('hf_decompensation', 20, 16, 218, 17, [13.9]), 104));
    expect(bad.map((t) => t.pass)).toEqual([false, false, false, false]);
  });

  it('a measure that could not be taken fails; a profile that was not run is unmarked', () => {
    // No events: no sensitivity, no warning; no openings is no unexplained alert, which passes.
    const none = judge(column(tally('hf_decompensation', 0, 0, 0, 0)));
    expect(none.slice(0, 3).map((t) => t.pass)).toEqual([false, true, false]);
    expect(judge(undefined).every((t) => t.pass === null && Number.isNaN(t.measured))).toBe(true);
  });

  it('the report shows the marks', () => {
    const profile = measureProfile('calibrated', [{ seed: 's', profile: 'calibrated', readings: 1, tallies: tallies(tally('hf_decompensation', 20, 17, 30, 20, [14]), 200) }]);
    const result: EvaluationResult = {
      patients: 1000, days: 365, seeds: ['s'], clinic: NEXT_DAY_CLINIC, profiles: [profile],
      references: HF_REFERENCES, targets: judge(profile.summary),
    };
    const text = report(result);
    expect(text).toMatch(/HF sensitivity\s+≥ 85\.0 %\s+85\.0 %\s+PASS/);
    expect(text).toMatch(/HF unexplained \/ HF-monitored pt-yr\s+≤ 0\.5\s+0\.025\s+PASS/);
    expect(text).toMatch(/burden, all kinds \/ 100 pt \/ wk\s+≤ 2\.0\s+\S+\s+FAIL/);
    expect(text).toContain('Leiden real world');
  });
});
