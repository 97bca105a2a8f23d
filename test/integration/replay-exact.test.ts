// A device's stored scores do not depend on the order its readings arrived in: the same
// readings streamed in event order, and again with late flushes, resends and snapshots due
// mid-stream, leave the same score on every reading once the late readings are replayed.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createCohort } from '../../simulators/cohort.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import { TestGateway, type Reading } from '../helpers/gateway.ts';

interface Run { tdb: TestDatabase; svc: RunningService; gw: TestGateway }
const runs: Run[] = [];

async function run(): Promise<Run> {
  const tdb = await createTestDatabase(inject('pgAdminUrl'));
  // Snapshots every 3 event days, so several are due (and taken) while the stream runs.
  const svc = await startService(tdb.db, tdb.url, { ENGINE_SNAPSHOT_DAYS: '3' });
  const gw = await svc.gateway((await seedGateway(tdb.db, 'exact')).key);
  const r = { tdb, svc, gw };
  runs.push(r);
  return r;
}

afterAll(async () => {
  for (const r of runs) {
    r.gw.close();
    await r.svc.close();
    await r.tdb.drop();
  }
});

/** HF-monitored devices of a calibrated cohort: nightly impedance, rates, activity, counts. */
function cohortDays(): Reading[][] {
  const cohort = createCohort({
    patients: 40, days: 150, seed: 'replay-exact', profile: 'calibrated',
    // Events that open alerts while late readings are outstanding.
    scenarios: { hf_decompensation: 0.5, ventricular_arrhythmia: 0.5, af_onset: 0.5, lead_fracture: 0.3, capture_threshold_rise: 0.3 },
  });
  const hf = new Set(cohort.patients.filter((p) => p.type === 'crt_d' || p.type === 'icd').slice(0, 4).map((p) => p.device));
  const days: Reading[][] = [];
  const start = cohort.options.start;
  const seen = new Set<string>();
  for (const r of cohort.readings()) {
    if (!hf.has(r.device) || seen.has(`${r.device}/${r.seq}`)) continue;
    seen.add(`${r.device}/${r.seq}`);
    const day = Math.floor((Date.parse(r.at) - start) / 86_400_000);
    (days[day] ??= []).push({ device: r.device, seq: r.seq, at: r.at, metric: r.metric, value: r.value });
  }
  return days.map((d) => (d ?? []).sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.seq - b.seq));
}

async function scores(r: Run): Promise<Map<string, number | null>> {
  const res = await sql<{ serial: string; seq: number; score: number | null }>`
    SELECT d.serial, r.seq, r.score FROM readings r JOIN devices d ON d.id = r.device_id`.execute(r.tdb.db);
  return new Map(res.rows.map((x) => [`${x.serial}/${x.seq}`, x.score]));
}

async function alerts(r: Run): Promise<string[]> {
  const res = await sql<{ serial: string; kind: string; trigger: { seq: number }; occurrences: number; priority: string }>`
    SELECT d.serial, a.kind, a.trigger, a.occurrences, a.priority FROM alerts a JOIN devices d ON d.id = a.device_id`.execute(r.tdb.db);
  return res.rows.map((a) => `${a.serial} ${a.kind} ${a.priority} opened by ${a.trigger.seq} x${a.occurrences}`).sort();
}

async function settled(r: Run): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const n = await sql<{ n: number }>`SELECT count(*)::int AS n FROM engine_pending`.execute(r.tdb.db);
    const unscored = await sql<{ n: number }>`SELECT count(*)::int AS n FROM readings WHERE score IS NULL`.execute(r.tdb.db);
    if (n.rows[0]!.n === 0 && unscored.rows[0]!.n === 0) return;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error('late readings were not replayed');
}

describe('replays are exact', () => {
  let days: Reading[][];
  beforeAll(() => {
    days = cohortDays();
  });

  it('gives every reading the same score, and raises the same alerts, whether it arrived in order or late', async () => {
    const inOrder = await run();
    for (let d = 0; d < days.length; d++) await inOrder.gw.batch(`d${d}`, days[d]!);
    await settled(inOrder);

    const shuffled = await run();
    // Every 10th day of the first device is held back and flushed 5 days later (late
    // readings); every 7th day is sent twice (resends).
    const first = days.flat()[0]!.device;
    const held: Reading[] = [];
    for (let d = 0; d < days.length; d++) {
      const day = days[d]!;
      const hold = d % 10 === 3;
      const now = hold ? day.filter((x) => x.device !== first) : day;
      if (hold) held.push(...day.filter((x) => x.device === first));
      await shuffled.gw.batch(`d${d}`, now);
      if (d % 7 === 0) await shuffled.gw.batch(`d${d}-again`, day);
      if (d % 10 === 8 && held.length > 0) await shuffled.gw.batch(`late${d}`, held.splice(0));
    }
    if (held.length > 0) await shuffled.gw.batch('late-end', held.splice(0));
    await settled(shuffled);

    const a = await scores(inOrder);
    const b = await scores(shuffled);
    expect(a.size).toBeGreaterThan(1000);
    expect(b.size).toBe(a.size);
    const differ = [...a].filter(([k, v]) => b.get(k) !== v);
    expect(differ.length, JSON.stringify(differ.slice(0, 5).map(([k, v]) => [k, v, b.get(k)]))).toBe(0);
    // Snapshots were taken while readings were still missing, and late readings were replayed.
    const snaps = await sql<{ n: number }>`SELECT count(*)::int AS n FROM engine_snapshots`.execute(shuffled.tdb.db);
    expect(snaps.rows[0]!.n).toBeGreaterThan(0);
    // The same alerts, opened by the same readings, with the same occurrence counts.
    const opened = await alerts(inOrder);
    expect(opened.length).toBeGreaterThan(0);
    expect(await alerts(shuffled)).toEqual(opened);
  });
});
