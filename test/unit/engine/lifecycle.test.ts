import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../src/engine/config.ts';
import { carryOver, type LifecycleEvent } from '../../../src/engine/lifecycle.ts';
import { acknowledgeResolved } from '../../../src/engine/policy.ts';
import { processReading } from '../../../src/engine/process.ts';
import type { AlertDecision } from '../../../src/engine/types.ts';
import { BASE, HfPatient } from './hf-patient.ts';
import { DAY, Device, T0, wobble } from './stream.ts';

const at = (day: number) => T0 + day * DAY;
const ofKind = (kind: string, out: readonly AlertDecision[]) => out.filter((d) => d.kind === kind);

/** Every alert resolved the next day, as a clinic working its queue daily would. */
function dailyClinic(device: Device, from: number, days: number, values: (day: number) => Record<string, number>): AlertDecision[] {
  const out: AlertDecision[] = [];
  for (let d = from; d < from + days; d++) {
    for (const kind of Object.keys(device.state.open)) acknowledgeResolved(device.state, kind as AlertDecision['kind']);
    out.push(...device.nights(d, 1, values(d)));
  }
  return out;
}

/** A generator change at `day`: the new serial's device, its state carried over, or not. */
function replaceGenerator(old: HfPatient, day: number, carry: boolean): HfPatient {
  const next = new HfPatient(DEFAULT_CONFIG, 'after-change');
  if (carry) {
    next.device.state = carryOver(old.state);
    next.device.lifecycle.push({ id: 1, kind: 'generator_change', at: at(day) });
  }
  return next;
}

describe('device lifecycle in the engine', () => {
  it('keeps heart-failure monitoring across a generator change: a decompensation 3 weeks later alerts', () => {
    const decompensation = (d: number) => (d >= 111 ? { thoracic_impedance: 6 - 5, night_heart_rate: 11 } : { thoracic_impedance: 6 });
    const outcome = (carry: boolean) => {
      const old = new HfPatient();
      old.nights(0, 90);
      const next = replaceGenerator(old, 90, carry);
      // A new can sits 6 Ohm higher in the same pocket; from day 111 impedance falls 5 Ohm
      // and the night heart rate rises 11/min.
      return ofKind('hf_decompensation', next.nights(92, 30, decompensation));
    };
    const carried = outcome(true);
    expect(carried.map((d) => d.action)).toEqual(['open']);
    expect(carried[0]!.trigger.at).toBeLessThan(at(118));
    // The same nights on a state that starts from nothing: still learning, no alert.
    expect(outcome(false)).toEqual([]);
  });

  it('re-anchors the new can’s impedance: a level 6 Ohm lower is not read as fluid', () => {
    const old = new HfPatient();
    old.nights(0, 90);
    const next = replaceGenerator(old, 90, true);
    const out = next.nights(92, 120, () => ({ thoracic_impedance: -6 }));
    expect(ofKind('hf_decompensation', out)).toEqual([]);
    expect(next.state.hf.fluidIndex).toBeLessThan(DEFAULT_CONFIG.hf.fluidThreshold);
    expect(next.state.hf.inputs.thoracic_impedance!.median).toBeLessThan(BASE.thoracic_impedance! - 4);
    expect(next.state.hf.anchor).toBeUndefined();
  });

  it('starts the new generator’s battery afresh and keeps what belongs to the patient', () => {
    const old = new HfPatient();
    old.nights(0, 60);
    old.device.nights(0, 60, { battery_longevity: (d) => 40 - d / 30, rv_lead_impedance: (d) => 600 + wobble(d, 10) });
    const carried = carryOver(old.state);
    const next = new Device();
    next.state = carried;
    next.lifecycle.push({ id: 1, kind: 'generator_change', at: at(61) });
    // The new battery's 120 months are no "rise", its later estimates no rapid depletion.
    expect(next.nights(62, 60, { battery_longevity: (d) => 120 - (d - 62) / 30, rv_lead_impedance: 600 })).toEqual([]);
    expect(next.state.baselines.battery_longevity!.mean).toBeGreaterThan(115);
    expect(next.state.baselines.rv_lead_impedance!.firstAt).toBe(old.state.baselines.rv_lead_impedance!.firstAt);
    expect(next.state.hf.inputs.night_heart_rate!.pushed).toBeGreaterThan(50);
    expect(next.state.open).toEqual({});
  });

  it('raises at most one lead alert after a lead revision, even with a clinic resolving daily', () => {
    const run = (events: LifecycleEvent[]) => {
      const d = new Device();
      d.lifecycle.push(...events);
      d.nights(0, 90, { rv_lead_impedance: (day) => 600 + wobble(day, 15) });
      // A new lead: 1250 Ohm the day after, settling to 1000 Ohm over a month.
      return ofKind('lead_integrity', dailyClinic(d, 90, 120, (day) => ({ rv_lead_impedance: 1000 + 250 * Math.max(0, 1 - (day - 90) / 30) })));
    };
    expect(run([{ id: 1, kind: 'lead_revision', at: at(89) + 12 * 3_600_000, leads: ['rv'] }])).toEqual([]);
    // Without the event the new lead reads as a 67 % jump on the old one's baseline.
    expect(run([]).filter((x) => x.action === 'open').length).toBeGreaterThanOrEqual(1);
  });

  it('still raises a lead alert after a revision when the new lead is out of its safe range', () => {
    const d = new Device();
    d.lifecycle.push({ id: 1, kind: 'lead_revision', at: at(89), leads: ['rv'] });
    d.nights(0, 90, { rv_lead_impedance: 600 });
    expect(ofKind('lead_integrity', d.nights(90, 3, { rv_lead_impedance: 2400 })).filter((x) => x.action === 'open')).toHaveLength(1);
  });

  it('restarts a reprogrammed vector’s baseline at once, without settling', () => {
    const d = new Device();
    d.lifecycle.push({ id: 1, kind: 'reprogramming', at: at(60), leads: ['rv'] });
    d.nights(0, 60, { rv_lead_impedance: (day) => 600 + wobble(day, 10) });
    expect(d.nights(60, 40, { rv_lead_impedance: (day) => 1000 + wobble(day, 10) })).toEqual([]);
    expect(d.state.baselines.rv_lead_impedance!.firstAt).toBeGreaterThanOrEqual(at(60));
    expect(d.state.settle).toBeUndefined();
    // Learnt again, the new vector's own jump is seen.
    expect(ofKind('lead_integrity', d.nights(100, 1, { rv_lead_impedance: 1600 }))).toHaveLength(1);
  });

  it('learns the leads after their settling and thoracic impedance after the pocket’s, from the implant', () => {
    const d = new Device();
    d.lifecycle.push({ id: 1, kind: 'implant', at: at(0) });
    // Lead impedance falls from 900 to 600 Ohm over the first 6 weeks.
    d.nights(1, 100, { rv_lead_impedance: (day) => 600 + 300 * Math.max(0, 1 - day / 42), thoracic_impedance: 70 });
    expect(d.state.baselines.rv_lead_impedance!.firstAt).toBeGreaterThanOrEqual(at(60));
    expect(d.state.baselines.rv_lead_impedance!.mean).toBeCloseTo(600, 0);
    expect(d.state.hf.impedanceDays).toBe(101 - 34);
    expect(d.decisions).toEqual([]);
  });

  it('decides nothing from readings after an explant', () => {
    const d = new Device();
    d.lifecycle.push({ id: 1, kind: 'explant', at: at(30) });
    d.nights(0, 30, { rv_lead_impedance: 600 });
    expect(d.nights(30, 5, { rv_lead_impedance: 3000, shocks_delivered: 2 })).toEqual([]);
  });

  it('gives the same state whether the readings run through at once or from a snapshot taken between events', () => {
    const events: LifecycleEvent[] = [
      { id: 1, kind: 'implant', at: at(0) },
      { id: 2, kind: 'reprogramming', at: at(40), leads: ['rv'] },
      { id: 3, kind: 'lead_revision', at: at(80), leads: ['ra'] },
    ];
    const readings = Array.from({ length: 120 }, (_, i) => i).flatMap((day) => [
      { seq: day * 2 + 1, at: at(day) + 3_600_000, metric: 'rv_lead_impedance', value: 600 + wobble(day, 20) },
      { seq: day * 2 + 2, at: at(day) + 3_600_000, metric: 'ra_lead_impedance', value: 500 + wobble(day, 20) },
    ]);
    const whole = new Device();
    for (const r of readings) processReading(whole.state, r, DEFAULT_CONFIG, events);
    const first = new Device();
    for (const r of readings.slice(0, 130)) processReading(first.state, r, DEFAULT_CONFIG, events);
    const resumed = JSON.parse(JSON.stringify(first.state));
    for (const r of readings.slice(130)) processReading(resumed, r, DEFAULT_CONFIG, events);
    expect(resumed).toEqual(whole.state);
    expect(whole.state.lifecycle).toEqual({ at: at(80), id: 3 });
  });
});
