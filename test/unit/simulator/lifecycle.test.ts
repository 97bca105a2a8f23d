import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createCohort, type Cohort, type CohortOptions } from '../../../simulators/cohort.ts';
import type { LifecycleTruth } from '../../../simulators/lifecycle/types.ts';
import type { NoiseProfile, SimReading } from '../../../simulators/types.ts';

const DAY = 86_400_000;

function hashOf(c: Cohort): string {
  const h = createHash('sha256');
  for (const r of c.readings()) h.update(`${r.device}|${r.seq}|${r.at}|${r.metric}|${r.value}\n`);
  h.update(JSON.stringify(c.truth));
  h.update(JSON.stringify(c.patients));
  return h.digest('hex');
}

const pinned = (profile: NoiseProfile, extra: Partial<CohortOptions> = {}): Cohort =>
  createCohort({ patients: 40, days: 240, seed: 'lifecycle-pin', profile, ...extra });

/** Readings per device in event order, duplicates left out. */
function byDevice(c: Cohort): Map<string, SimReading[]> {
  const out = new Map<string, SimReading[]>();
  for (const t of c.transmissions()) {
    if (t.duplicate) continue;
    for (const r of t.readings) {
      const list = out.get(r.device) ?? [];
      list.push(r);
      out.set(r.device, list);
    }
  }
  for (const list of out.values()) list.sort((a, b) => a.at.localeCompare(b.at) || a.seq - b.seq);
  return out;
}

const values = (list: readonly SimReading[], metric: string, from: number, to: number): number[] =>
  list.filter((r) => r.metric === metric && Date.parse(r.at) >= from && Date.parse(r.at) < to).map((r) => r.value);

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? NaN;

describe('device lifecycle in the simulator: off', () => {
  it('leaves a cohort without lifecycle bit for bit as the code before it built it', () => {
    // Pinned from the generator before lifecycle events existed (same options).
    expect(hashOf(pinned('clean'))).toBe('ea689714a9f41f889ee958b924e851363abf4409a466068db897aeb6341521f0');
    expect(hashOf(pinned('calibrated'))).toBe('f7a4626b5913169dca96703822a8049c59342f67eab23fae6c69164d6772be8d');
    expect(hashOf(pinned('calibrated', { lifecycle: false }))).toBe('f7a4626b5913169dca96703822a8049c59342f67eab23fae6c69164d6772be8d');
    expect(pinned('clean').lifecycle).toEqual([]);
  }, 60_000);
});

describe('device lifecycle in the simulator: on', () => {
  const options: CohortOptions = { patients: 400, days: 365, seed: 'lifecycle-on', profile: 'calibrated' };
  const off = createCohort(options);
  const on = createCohort({ ...options, lifecycle: true });
  const events = on.lifecycle;
  const of = (kind: LifecycleTruth['kind']): LifecycleTruth[] => events.filter((e) => e.kind === kind);
  const readings = byDevice(on);

  it('draws every kind with its ground truth, in event order, outside the first 35 and last 30 days', () => {
    for (const kind of ['implant', 'generator_change', 'explant', 'lead_revision', 'reprogramming'] as const) {
      expect(of(kind).length, kind).toBeGreaterThan(0);
    }
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    for (let i = 1; i < events.length; i++) expect(Date.parse(events[i]!.at)).toBeGreaterThanOrEqual(Date.parse(events[i - 1]!.at));
    for (const e of events) {
      expect(e.patientId).toMatch(/^p-\d{5}$/);
      expect(e.at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00Z$/);
      expect(Math.floor((Date.parse(e.at) - on.options.start) / DAY)).toBe(e.day);
      if (e.kind !== 'implant') expect(e.day).toBeGreaterThanOrEqual(35);
      expect(e.day).toBeLessThanOrEqual(options.days - 31);
    }
    for (const e of of('lead_revision')) expect(e.leads?.length).toBeGreaterThan(0);
    for (const e of of('reprogramming')) expect((e.leads?.length ?? 0) + (e.metrics?.length ?? 0)).toBeGreaterThan(0);
    // A generator change is recorded on the new serial with the old one replaced, which is explanted then.
    for (const g of of('generator_change')) {
      expect(g.replaces).toBeDefined();
      expect(g.device).toBe(`${g.replaces}-R1`);
      expect(of('explant').some((x) => x.device === g.replaces && x.at === g.at)).toBe(true);
    }
  }, 30_000);

  it('keeps the patients, and every patient without events reads as without lifecycle', () => {
    expect(on.patients).toEqual(off.patients);
    const withEvents = new Set(events.map((e) => e.patientId));
    const before = byDevice(off);
    let compared = 0;
    for (const p of on.patients) {
      if (withEvents.has(p.id)) continue;
      expect(readings.get(p.device)).toEqual(before.get(p.device));
      compared++;
    }
    expect(compared).toBeGreaterThan(200);
    const quietTruth = (c: Cohort) => c.truth.filter((t) => !withEvents.has(t.patientId));
    expect(quietTruth(on)).toEqual(quietTruth(off));
  }, 60_000);

  it('changes the serial at a generator change: silent days, then a new battery on the new serial', () => {
    for (const g of of('generator_change')) {
      const at = Date.parse(g.at);
      const old = readings.get(g.replaces!) ?? [];
      const next = readings.get(g.device) ?? [];
      expect(old.length).toBeGreaterThan(0);
      expect(next.length).toBeGreaterThan(0);
      expect(Date.parse(old[old.length - 1]!.at)).toBeLessThan(at);
      const silentDays = Number(g.params.silentDays);
      expect(silentDays).toBeGreaterThanOrEqual(1);
      expect(silentDays).toBeLessThanOrEqual(3);
      const firstDay = Math.floor((Date.parse(next[0]!.at) - on.options.start) / DAY);
      expect(firstDay).toBeGreaterThan(g.day + silentDays);
      const status = values(next, 'battery_status', 0, Infinity);
      expect(status.every((s) => s === 1)).toBe(true);
      expect(values(next, 'battery_longevity', 0, Infinity)[0]).toBeGreaterThan(60);
      // The old battery was at ERI (the change's reason) when it last reported.
      expect(values(old, 'battery_status', 0, at).at(-1)).toBe(3);
    }
  }, 30_000);

  it('shifts the new can\'s thoracic impedance and pauses its fluid index for 34 days', () => {
    const hf = of('generator_change').filter((g) => g.params.impedanceOffsetOhm !== undefined);
    expect(hf.length).toBeGreaterThan(0);
    for (const g of hf) {
      const next = readings.get(g.device) ?? [];
      const at = Date.parse(g.at);
      expect(values(next, 'fluid_index', at, at + 34 * DAY)).toEqual([]);
    }
  }, 30_000);

  it('moves a revised lead to its new level, maturing from above it', () => {
    const revisions = of('lead_revision').filter((e) => e.params.lead === 'rv');
    expect(revisions.length).toBeGreaterThan(0);
    for (const e of revisions) {
      const at = Date.parse(e.at);
      const list = readings.get(e.device) ?? [];
      const later = values(list, 'rv_lead_impedance', at + 25 * DAY, at + 31 * DAY);
      const chronic = Number(e.params.impedanceOhm);
      expect(Math.abs(median(later) / chronic - 1)).toBeLessThan(0.15);
      const first = values(list, 'rv_lead_impedance', at, at + 2 * DAY)[0];
      if (first !== undefined) expect(first).toBeGreaterThan(median(later));
    }
  }, 30_000);

  it('steps a reprogrammed pacing vector\'s impedance to its new level at once', () => {
    const vectors = of('reprogramming').filter((e) => e.params.change === 'pacing_vector');
    expect(vectors.length).toBeGreaterThan(0);
    for (const e of vectors) {
      const at = Date.parse(e.at);
      const metric = `${String(e.params.lead)}_lead_impedance`;
      const list = readings.get(e.device) ?? [];
      const soon = values(list, metric, at, at + 4 * DAY);
      const target = Number(e.params.impedanceOhm);
      for (const v of soon) expect(Math.abs(v / target - 1)).toBeLessThan(0.2);
    }
  }, 30_000);

  it('ends a fault or battery scenario at the event that dealt with it, and names the new serial after a change', () => {
    const ended = on.truth.filter((t) => t.params.endedBy !== undefined);
    expect(ended.length).toBeGreaterThan(0);
    for (const t of ended) {
      const e = events.find((x) => x.patientId === t.patientId && x.at === t.end && x.kind === t.params.endedBy);
      expect(e, `${t.patientId} ${t.scenario}`).toBeDefined();
    }
    // An ERI the lifecycle drew itself is a battery event of its own.
    expect(on.truth.some((t) => t.kind === 'battery' && t.params.source === 'lifecycle')).toBe(true);
    for (const g of of('generator_change')) {
      for (const t of on.truth.filter((x) => x.patientId === g.patientId)) {
        expect(t.device).toBe(Date.parse(t.onset) >= Date.parse(g.at) ? g.device : g.replaces);
      }
    }
  }, 30_000);

  it('repeats itself for a seed', () => {
    const again = createCohort({ ...options, patients: 60, lifecycle: true });
    expect(createCohort({ ...options, patients: 60, lifecycle: true }).lifecycle).toEqual(again.lifecycle);
    expect(hashOf(again)).toBe(hashOf(createCohort({ ...options, patients: 60, lifecycle: true })));
  }, 30_000);
});
