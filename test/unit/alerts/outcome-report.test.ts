import { describe, expect, it } from 'vitest';
import { outcomeReport, parseReportQuery, wilson } from '../../../src/alerts/outcome-report.ts';
import { ServiceError } from '../../../src/errors.ts';

const zero = { confirmed_treated: 0, confirmed_no_change: 0, other_cause: 0, non_adherence: 0, known_condition: 0, artefact: 0, no_action_needed: 0 };

describe('the Wilson 95 % interval', () => {
  it('matches published values', () => {
    // Newcombe (1998), Statistics in Medicine 17:857, table I: 81/263 -> 0.2553-0.3662; 15/148 -> 0.0624-0.1605.
    expect(wilson(81, 263)).toEqual({ low: 0.255, high: 0.366 });
    expect(wilson(15, 148)).toEqual({ low: 0.062, high: 0.16 }); // 0.16049
    // Not empty at the ends, never outside 0..1.
    expect(wilson(0, 5)).toEqual({ low: 0, high: 0.434 });
    expect(wilson(5, 5)).toEqual({ low: 0.566, high: 1 });
    expect(wilson(0, 0)).toBeNull();
  });
});

describe('the outcome report', () => {
  it('counts per kind and in total, and PPV over the resolved alerts with an outcome', () => {
    const r = outcomeReport([
      { kind: 'hf_decompensation', resolved: true, outcome: 'confirmed_treated', count: 3 },
      { kind: 'hf_decompensation', resolved: true, outcome: 'confirmed_no_change', count: 1 },
      { kind: 'hf_decompensation', resolved: true, outcome: 'artefact', count: 1 },
      { kind: 'hf_decompensation', resolved: true, outcome: null, count: 2 },
      { kind: 'hf_decompensation', resolved: false, outcome: null, count: 4 },
      { kind: 'battery', resolved: false, outcome: null, count: 1 },
      { kind: 'ventricular_arrhythmia', resolved: true, outcome: 'no_action_needed', count: 2 },
    ]);
    // The contract's order of kinds, not the query's.
    expect(r.kinds.map((k) => k.kind)).toEqual(['ventricular_arrhythmia', 'battery', 'hf_decompensation']);
    expect(r.kinds[2]).toEqual({
      kind: 'hf_decompensation', raised: 11, resolved: 7, withoutOutcome: 2,
      outcomes: { ...zero, confirmed_treated: 3, confirmed_no_change: 1, artefact: 1 },
      ppv: 0.8, ppvLow: 0.376, ppvHigh: 0.964,
    });
    expect(r.kinds[1]).toMatchObject({ raised: 1, resolved: 0, withoutOutcome: 0, ppv: null, ppvLow: null, ppvHigh: null });
    expect(r.kinds[0]).toMatchObject({ raised: 2, resolved: 2, ppv: 0, ppvLow: 0, ppvHigh: 0.658 });
    expect(r.total).toEqual({
      raised: 14, resolved: 9, withoutOutcome: 2,
      outcomes: { ...zero, confirmed_treated: 3, confirmed_no_change: 1, artefact: 1, no_action_needed: 2 },
      ppv: 0.571, ppvLow: 0.25, ppvHigh: 0.842,
    });
  });

  it('is empty with no alerts', () => {
    expect(outcomeReport([])).toEqual({ kinds: [], total: { raised: 0, resolved: 0, withoutOutcome: 0, outcomes: zero, ppv: null, ppvLow: null, ppvHigh: null } });
  });
});

describe('the report query', () => {
  const code = (f: () => unknown) => {
    try {
      f();
      return null;
    } catch (e) {
      return e instanceof ServiceError ? e.code : 'thrown';
    }
  };
  it('takes dates (midnight UTC) and RFC 3339 date-times; absent bounds are open', () => {
    expect(parseReportQuery({ site: 'alpha', from: '2026-03-01', to: '2026-04-01T00:00:00+01:00' }))
      .toEqual({ site: 'alpha', from: Date.UTC(2026, 2, 1), to: Date.UTC(2026, 2, 31, 23) });
    expect(parseReportQuery({})).toEqual({ site: null, from: null, to: null });
    expect(parseReportQuery({ site: '', from: '', to: '' })).toEqual({ site: null, from: null, to: null });
  });
  it('refuses other forms, impossible dates and an empty period', () => {
    for (const q of [{ from: '2026-02-30' }, { from: '01/03/2026' }, { to: '2026-03-01T00:00:00' }, { from: 'now' }, { from: '2026-03-01', to: '2026-03-01' }, { from: '2026-03-02', to: '2026-03-01' }]) {
      expect(code(() => parseReportQuery(q)), JSON.stringify(q)).toBe('bad_message');
    }
  });
});
