import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { METRICS } from '../../../src/domain/metrics.ts';
import { DEFAULT_CONFIG } from '../../../src/engine/config.ts';
import { LEADS, LIFECYCLE_KINDS, type LifecycleEvent } from '../../../src/engine/lifecycle.ts';
import { acknowledgeResolved } from '../../../src/engine/policy.ts';
import { processReading } from '../../../src/engine/process.ts';
import { newDeviceState } from '../../../src/engine/state.ts';
import type { AlertDecision, AlertKind, DeviceState, EngineReading } from '../../../src/engine/types.ts';
import { T0 } from './stream.ts';

type Op = { reading: EngineReading } | { resolve: AlertKind };

const KINDS: AlertKind[] = [
  'ventricular_arrhythmia', 'shock_delivered', 'lead_integrity', 'capture_threshold', 'battery',
  'af_burden', 'af_fast_ventricular_rate', 'crt_pacing_loss', 'hf_decompensation',
];

// A reading of any metric, anywhere in its valid range, minutes to days after the previous one.
const step = fc.record({
  metric: fc.constantFrom(...METRICS),
  fraction: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(0, 0.02, 0.1, 0.5, 1)),
  gapMinutes: fc.oneof(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 600, max: 3 * 1440 })),
  resolve: fc.option(fc.constantFrom(...KINDS), { freq: 10 }),
});

const streams = fc.array(step, { minLength: 1, maxLength: 400 }).map((steps): Op[] => {
  let at = T0;
  let seq = 1;
  const ops: Op[] = [];
  for (const s of steps) {
    at += s.gapMinutes * 60_000;
    const value = s.metric.validMin + s.fraction * (s.metric.validMax - s.metric.validMin);
    ops.push({ reading: { seq: seq++, at, metric: s.metric.name, value } });
    if (s.resolve) ops.push({ resolve: s.resolve });
  }
  return ops;
});

// Lifecycle events anywhere in the first weeks of a stream, in event order (time, then id).
const lifecycles = fc.array(fc.record({
  kind: fc.constantFrom(...LIFECYCLE_KINDS),
  dayOffset: fc.double({ min: 0, max: 60, noNaN: true }),
  leads: fc.option(fc.subarray([...LEADS], { minLength: 1 }), { nil: undefined }),
  metrics: fc.option(fc.subarray(['battery_longevity', 'rv_lead_impedance', 'thoracic_impedance']), { nil: undefined }),
}), { maxLength: 6 }).map((list): LifecycleEvent[] => list
  .map((e, i) => ({
    id: i + 1, kind: e.kind, at: T0 + Math.round(e.dayOffset * 86_400_000),
    ...(e.leads && e.kind !== 'generator_change' && e.kind !== 'explant' ? { leads: e.leads } : {}),
    ...(e.metrics && e.kind === 'reprogramming' ? { metrics: e.metrics } : {}),
  }))
  .sort((a, b) => a.at - b.at || a.id - b.id));

function run(ops: readonly Op[], start: DeviceState = newDeviceState(), lifecycle?: readonly LifecycleEvent[]): { state: DeviceState; decisions: AlertDecision[] } {
  let state = start;
  const decisions: AlertDecision[] = [];
  for (const op of ops) {
    if ('resolve' in op) state = acknowledgeResolved(state, op.resolve);
    else {
      const out = processReading(state, op.reading, DEFAULT_CONFIG, lifecycle);
      state = out.state;
      decisions.push(...out.decisions);
    }
  }
  return { state, decisions };
}

describe('engine properties', () => {
  it('gives the same decisions for the same stream, every time', () => {
    fc.assert(fc.property(streams, (ops) => {
      expect(run(ops).decisions).toEqual(run(ops).decisions);
    }), { numRuns: 150 });
  });

  it('never holds two open alerts of one kind on a device', () => {
    fc.assert(fc.property(streams, (ops) => {
      const open = new Set<AlertKind>();
      let state = newDeviceState();
      for (const op of ops) {
        if ('resolve' in op) {
          state = acknowledgeResolved(state, op.resolve);
          open.delete(op.resolve);
          continue;
        }
        const out = processReading(state, op.reading, DEFAULT_CONFIG);
        state = out.state;
        const kinds = out.decisions.map((d) => d.kind);
        expect(new Set(kinds).size).toBe(kinds.length);
        for (const d of out.decisions) {
          expect(d.action).toBe(open.has(d.kind) ? 'update' : 'open');
          open.add(d.kind);
        }
      }
    }), { numRuns: 150 });
  });

  it('gives the same decisions when the state is snapshotted to JSON halfway', () => {
    fc.assert(fc.property(streams, fc.double({ min: 0, max: 1, noNaN: true }), (ops, where) => {
      const cut = Math.floor(where * ops.length);
      const whole = run(ops);
      const first = run(ops.slice(0, cut));
      const restored = JSON.parse(JSON.stringify(first.state)) as DeviceState;
      const second = run(ops.slice(cut), restored);
      expect([...first.decisions, ...second.decisions]).toEqual(whole.decisions);
      expect(JSON.parse(JSON.stringify(second.state))).toEqual(JSON.parse(JSON.stringify(whole.state)));
    }), { numRuns: 150 });
  });

  it('gives the same decisions with lifecycle events when the state is snapshotted to JSON anywhere', () => {
    fc.assert(fc.property(streams, lifecycles, fc.double({ min: 0, max: 1, noNaN: true }), (ops, events, where) => {
      const cut = Math.floor(where * ops.length);
      const whole = run(ops, newDeviceState(), events);
      const first = run(ops.slice(0, cut), newDeviceState(), events);
      const restored = JSON.parse(JSON.stringify(first.state)) as DeviceState;
      const second = run(ops.slice(cut), restored, events);
      expect([...first.decisions, ...second.decisions]).toEqual(whole.decisions);
      expect(JSON.parse(JSON.stringify(second.state))).toEqual(JSON.parse(JSON.stringify(whole.state)));
    }), { numRuns: 150 });
  });

  it('keeps every score between 0 and 1', () => {
    fc.assert(fc.property(streams, (ops) => {
      const state = newDeviceState();
      for (const op of ops) {
        if (!('reading' in op)) continue;
        const { score } = processReading(state, op.reading, DEFAULT_CONFIG);
        expect(score).toBeGreaterThanOrEqual(0);
        expect(score).toBeLessThanOrEqual(1);
      }
    }), { numRuns: 100 });
  });
});
