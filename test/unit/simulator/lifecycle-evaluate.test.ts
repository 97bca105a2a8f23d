import { describe, expect, it } from 'vitest';
import { measureLifecycle, scoreLifecycle } from '../../../simulators/evaluate/lifecycle.ts';
import { lifecycleReport } from '../../../simulators/evaluate/lifecycle-table.ts';
import { prepareCohort } from '../../../simulators/evaluate/prepare.ts';
import { scoreCohort } from '../../../simulators/evaluate/run.ts';

describe('evaluate: the lifecycle section', () => {
  const prepared = prepareCohort({ seed: 'lifecycle-eval', profile: 'clean', patients: 200, days: 240, lifecycle: true });
  const section = measureLifecycle([scoreLifecycle(prepared)]);

  it('runs a replacement generator as a device of its own patient', () => {
    const successors = prepared.devices.filter((d) => d.replaces !== undefined);
    expect(successors.length).toBe(section.events.generator_change);
    expect(successors.length).toBeGreaterThan(0);
    for (const d of successors) {
      expect(d.device).toBe(`${d.replaces}-R1`);
      expect(d.seq.length).toBeGreaterThan(0);
    }
    // Exposure counts each patient once.
    const plain = scoreCohort(prepared);
    const lead = plain.tallies.find((t) => t.kind === 'lead_integrity')!;
    expect(lead.patientDays).toBe(200 * 240);
  }, 30_000);

  it('shows no alert storm with the events recorded, and more alerts without them', () => {
    const recorded = section.arms.recorded.windows;
    const unrecorded = section.arms.unrecorded.windows;
    const all = (w: typeof recorded) => w.find((x) => x.kind === 'all events')!;
    expect(all(recorded).events).toBeGreaterThan(10);
    for (const v of section.storm) {
      if (v.events === 0) continue;
      expect(v.pass, v.kind).toBe(true);
      expect(v.recorded, v.kind).toBeLessThanOrEqual(1);
    }
    expect(all(unrecorded).alerts).toBeGreaterThan(all(recorded).alerts);
    // The replaced generator falls silent: without the explant its connectivity_loss opens.
    const change = (w: typeof recorded) => w.find((x) => x.kind === 'generator_change')!;
    expect(change(unrecorded).byKind.connectivity_loss).toBe(change(unrecorded).events);
    expect(change(recorded).byKind.connectivity_loss).toBeUndefined();
    // A new lead or vector read against the old one's baseline.
    const leads = (w: typeof recorded) => w.filter((x) => x.kind === 'lead_revision' || x.kind === 'reprogramming')
      .reduce((n, x) => n + (x.byKind.lead_integrity ?? 0) + (x.byKind.capture_threshold ?? 0) + (x.byKind.battery ?? 0), 0);
    expect(leads(unrecorded)).toBeGreaterThan(leads(recorded));
  }, 30_000);

  it('prints the section with its verdict', () => {
    const text = lifecycleReport(section);
    expect(text).toContain('No alert storm');
    expect(text).toContain('generator_change PASS');
    expect(text).toMatch(/Not recorded/);
  }, 30_000);
});
