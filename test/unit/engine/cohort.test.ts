// The simulator's ground truth through the engine: every VT/VF episode, shock, ERI and EOS is
// alerted on the reading that reports it, and no look-alike raises the alert it imitates.
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../src/engine/config.ts';
import { processReading } from '../../../src/engine/process.ts';
import { newDeviceState } from '../../../src/engine/state.ts';
import type { AlertDecision, DeviceState, EngineReading } from '../../../src/engine/types.ts';
import { createCohort } from '../../../simulators/index.ts';
import type { TruthEvent } from '../../../simulators/index.ts';

interface DeviceRun { readings: EngineReading[]; decisions: AlertDecision[] }

const cohort = createCohort({ patients: 50, days: 120, seed: 3 });
const runs = new Map<string, DeviceRun>();

function runDevice(readings: readonly EngineReading[], start: DeviceState = newDeviceState()): { state: DeviceState; decisions: AlertDecision[] } {
  let state = start;
  const decisions: AlertDecision[] = [];
  for (const r of readings) {
    const out = processReading(state, r, DEFAULT_CONFIG);
    state = out.state;
    decisions.push(...out.decisions);
  }
  return { state, decisions };
}

beforeAll(() => {
  for (const r of cohort.readings()) {
    let run = runs.get(r.device);
    if (!run) runs.set(r.device, (run = { readings: [], decisions: [] }));
    run.readings.push({ seq: r.seq, at: Date.parse(r.at), metric: r.metric, value: r.value });
  }
  for (const run of runs.values()) {
    // Arrival order puts an unplugged monitor's uploads late; the engine wants event order.
    run.readings.sort((a, b) => a.seq - b.seq);
    run.decisions = runDevice(run.readings).decisions;
  }
});

function firstReading(t: TruthEvent, metric: string, from: number, test: (v: number) => boolean): EngineReading {
  const r = runs.get(t.device)?.readings.find((x) => x.metric === metric && x.at >= from && test(x.value));
  if (!r) throw new Error(`no ${metric} reading for ${t.device} after ${new Date(from).toISOString()}`);
  return r;
}

function decisionOn(t: TruthEvent, r: EngineReading): AlertDecision | undefined {
  return runs.get(t.device)?.decisions.find((d) => d.kind === t.kind && d.trigger.seq === r.seq);
}

describe('simulator cohort through the engine', () => {
  it('alerts every VT/VF episode and every shock on the reading that reports it', () => {
    let checked = 0;
    for (const t of cohort.truth.filter((x) => x.kind === 'ventricular_arrhythmia' || x.kind === 'shock_delivered')) {
      const episodes = t.params.episodes as { at: string; type: 'vt' | 'vf'; shocks: number }[] | undefined;
      // A shock truth carries only its total; its episodes are on the VT/VF truth of the device.
      const source = episodes ?? (cohort.truth.find((x) => x.device === t.device && x.kind === 'ventricular_arrhythmia')
        ?.params.episodes as typeof episodes) ?? [];
      for (const e of source) {
        if (t.kind === 'shock_delivered' && e.shocks === 0) continue;
        const metric = t.kind === 'shock_delivered' ? 'shocks_delivered' : `${e.type}_episodes`;
        const r = firstReading(t, metric, Date.parse(e.at), (v) => v > 0);
        expect(decisionOn(t, r), `${t.device} ${metric} at ${e.at}`).toMatchObject({ priority: 'high' });
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('alerts every battery ERI (medium) and EOS (high) on the reading that reports it', () => {
    let checked = 0;
    for (const t of cohort.truth.filter((x) => x.kind === 'battery')) {
      const eri = firstReading(t, 'battery_status', Date.parse(t.params.eri as string), (v) => v === 3);
      expect(decisionOn(t, eri), `${t.device} ERI`).toBeDefined();
      checked++;
      const eos = runs.get(t.device)?.readings.find((x) => x.metric === 'battery_status' && x.value === 4);
      if (eos) expect(decisionOn(t, eos)).toMatchObject({ priority: 'high' });
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('raises no alert of the kind a benign look-alike imitates', () => {
    const benign = cohort.truth.filter((t) => t.benign);
    expect(benign.length).toBeGreaterThan(0);
    for (const t of benign) {
      const real = cohort.truth.some((x) => x.device === t.device && x.kind === t.kind && !x.benign);
      if (real) continue;
      expect(runs.get(t.device)?.decisions.filter((d) => d.kind === t.kind), `${t.device} ${t.scenario}`).toEqual([]);
    }
  });

  it('raises no alert of a kind on a device without such an event in the ground truth', () => {
    for (const [device, run] of runs) {
      for (const d of run.decisions) {
        const truth = cohort.truth.some((t) => t.device === device && t.kind === d.kind && !t.benign);
        expect(truth, `${device} ${d.kind}: ${d.summary}`).toBe(true);
      }
    }
  });

  it('gives the same decisions when each device state is snapshotted to JSON halfway', () => {
    for (const run of [...runs.values()].slice(0, 10)) {
      const half = Math.floor(run.readings.length / 2);
      const first = runDevice(run.readings.slice(0, half));
      const second = runDevice(run.readings.slice(half), JSON.parse(JSON.stringify(first.state)) as DeviceState);
      expect([...first.decisions, ...second.decisions]).toEqual(run.decisions);
    }
  });
});
