import { describe, expect, it } from 'vitest';
import { metricByName } from '../../../src/domain/vocabulary.ts';
import { DEFAULT_CONFIG, newDeviceState } from '../../../src/engine/index.ts';
import { takeIn, type Tracked } from '../../../src/scoring/device-state.ts';
import type { DecisionRow, RiskChangeRow } from '../../../src/store/engine-effects.ts';

// Which readings report a risk row: a change of status, or of whether a Low rests on enough
// data to judge, and nothing on the readings in between.

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1, 2);

function feed(t: Tracked, from: number, days: number, metrics: readonly string[], seq = { n: 0 }): RiskChangeRow[] {
  const risks: RiskChangeRow[] = [];
  const decisions: DecisionRow[] = [];
  for (let d = from; d < from + days; d++) {
    const wobble = Math.sin(d / 3);
    const value: Record<string, number> = {
      thoracic_impedance: 70 + wobble, respiratory_rate: 16 + wobble / 2, night_heart_rate: 62 + wobble, activity: 250 + wobble * 20,
    };
    for (const m of metrics) {
      takeIn(t, 7, { seq: ++seq.n, at: T0 + d * DAY, metricId: metricByName(m).id, value: value[m]! }, DEFAULT_CONFIG, decisions, risks);
    }
  }
  return risks;
}

describe('takeIn risk rows', () => {
  it('reports the first reading as Low on insufficient data, then nothing while that holds', () => {
    const t: Tracked = { engine: newDeviceState(), risk: 'Low' };
    const risks = feed(t, 0, 20, ['night_heart_rate', 'activity']);
    expect(risks).toEqual([expect.objectContaining({ seq: 1, status: 'Low', previous: 'Low', statusChanged: false, insufficient: true })]);
    expect(t.insufficient).toBe(true);
  });

  it('reports the day the data suffice as a row that changes no status', () => {
    const t: Tracked = { engine: newDeviceState(), risk: 'Low' };
    const seq = { n: 0 };
    feed(t, 0, 5, ['night_heart_rate', 'activity'], seq);
    const risks = feed(t, 5, 60, ['thoracic_impedance', 'respiratory_rate', 'night_heart_rate', 'activity'], seq);
    expect(risks).toEqual([expect.objectContaining({ status: 'Low', statusChanged: false, insufficient: false })]);
    expect(t).toMatchObject({ risk: 'Low', insufficient: false });
  });

  it('reports the sufficiency once after a snapshot saved without it', () => {
    const t: Tracked = { engine: newDeviceState(), risk: 'Low' };
    const seq = { n: 0 };
    feed(t, 0, 3, ['night_heart_rate'], seq);
    const old = JSON.parse(JSON.stringify({ engine: t.engine, risk: t.risk })) as Tracked;
    const risks = feed(old, 3, 3, ['night_heart_rate'], seq);
    expect(risks).toHaveLength(1);
    expect(risks[0]).toMatchObject({ statusChanged: false, insufficient: true });
  });

  it('marks a row as a status change when the status moves, whatever the sufficiency does', () => {
    // A Medium the device's data no longer support: its first reading changes the status.
    const t: Tracked = { engine: newDeviceState(), risk: 'Medium', insufficient: false };
    const risks = feed(t, 0, 1, ['night_heart_rate']);
    expect(risks).toEqual([expect.objectContaining({ status: 'Low', previous: 'Medium', statusChanged: true, insufficient: true })]);
  });
});
