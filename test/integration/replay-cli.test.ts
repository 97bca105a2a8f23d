// npm run replay: stored readings through the engine again, under today's settings and a
// proposed override, compared with the alerts the live service raised from the same readings.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createCohort } from '../../simulators/cohort.ts';
import { replay, selectDevices, checkProposal, ReplayError } from '../../src/replay/replay.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import type { Reading } from '../helpers/gateway.ts';
import { runCli, type CliResult } from '../helpers/cli.ts';

let tdb: TestDatabase;
let svc: RunningService;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  svc = await startService(tdb.db, tdb.url);
  const gw = await svc.gateway((await seedGateway(tdb.db, 'rp')).key);
  // Heart-failure decompensations and device events, streamed a day at a time in event order.
  const cohort = createCohort({
    patients: 30, days: 200, seed: 'replay-cli', profile: 'clean',
    scenarios: { hf_decompensation: 1, ventricular_arrhythmia: 0.5, lead_fracture: 0.3 },
  });
  const days: Reading[][] = [];
  const seen = new Set<string>();
  for (const r of cohort.readings()) {
    if (r.metric === 'heart_rate' || seen.has(`${r.device}/${r.seq}`)) continue;
    seen.add(`${r.device}/${r.seq}`);
    const day = Math.floor((Date.parse(r.at) - cohort.options.start) / 86_400_000);
    (days[day] ??= []).push({ device: r.device, seq: r.seq, at: r.at, metric: r.metric, value: r.value });
  }
  for (let d = 0; d < days.length; d++) {
    const day = (days[d] ?? []).sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.seq - b.seq);
    if (day.length) await gw.batch(`d${d}`, day);
  }
  gw.close();
  await svc.close();
}, 120_000);
afterAll(async () => {
  await tdb?.drop();
});

function replayCli(...args: string[]): Promise<CliResult> {
  return runCli('src/replay/cli.ts', args, tdb.url);
}

describe('npm run replay', () => {
  it('reproduces exactly the alerts the live service raised, and writes nothing but its audit row', async () => {
    const before = await sql<{ alerts: number; readings: number; scored: number }>`
      SELECT (SELECT count(*)::int FROM alerts) AS alerts, (SELECT count(*)::int FROM readings) AS readings,
             (SELECT count(*)::int FROM readings WHERE score IS NOT NULL) AS scored`.execute(tdb.db);
    const out = await replayCli('--json');
    expect(out.code, out.stderr).toBe(0);
    const result = JSON.parse(out.stdout) as Awaited<ReturnType<typeof replay>>;
    expect(result.readings).toBe(before.rows[0]!.readings);
    const stored = await sql<{ kind: string; n: number }>`SELECT kind, count(*)::int AS n FROM alerts WHERE kind <> 'connectivity_loss' GROUP BY kind`.execute(tdb.db);
    expect(stored.rows.length).toBeGreaterThan(1);
    expect(stored.rows.some((r) => r.kind === 'hf_decompensation')).toBe(true);
    for (const { kind, n } of stored.rows) {
      expect(result.kinds[kind], kind).toMatchObject({ stored: n, current: n, reproduced: n, gained: 0, lost: 0 });
    }
    expect(result.unmatched).toEqual({ replayOnly: [], storedOnly: [] });
    const after = await sql<{ alerts: number; readings: number; scored: number }>`
      SELECT (SELECT count(*)::int FROM alerts) AS alerts, (SELECT count(*)::int FROM readings) AS readings,
             (SELECT count(*)::int FROM readings WHERE score IS NOT NULL) AS scored`.execute(tdb.db);
    expect(after.rows[0]).toEqual(before.rows[0]);
    const audit = await sql<{ detail: { readings: number } }>`SELECT detail FROM audit_log WHERE action = 'replay.cli'`.execute(tdb.db);
    expect(audit.rows.map((a) => a.detail.readings)).toEqual([result.readings]);
  });

  it('with a higher heart-failure threshold reports fewer HF alerts, names each lost one, and prints a table', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-'));
    const file = path.join(dir, 'stricter.json');
    // High would need more sensors than exist: no new HF alert can open.
    fs.writeFileSync(file, JSON.stringify({ hf: { minSensors: 9, zImpedanceAlone: 1000, fluidAloneLevel: 100_000 } }));
    const json = await replayCli('--json', '--settings', file);
    expect(json.code, json.stderr).toBe(0);
    const r = JSON.parse(json.stdout) as Awaited<ReturnType<typeof replay>>;
    const hf = r.kinds.hf_decompensation!;
    expect(hf.current).toBeGreaterThan(0);
    expect(hf.proposed).toBe(0);
    expect(hf.lost).toBe(hf.current - hf.proposed + hf.gained);
    const lostHf = r.lost.filter((o) => o.kind === 'hf_decompensation');
    expect(lostHf.length).toBe(hf.lost);
    for (const o of lostHf) expect(o.patient ?? o.device).toBeTruthy();
    // Device-event kinds do not depend on the HF settings.
    expect(r.kinds.ventricular_arrhythmia).toMatchObject({ gained: 0, lost: 0 });

    const text = await replayCli('--settings', file);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^kind\s+stored\s+replayed\s+reproduced\s+proposed\s+gained\s+lost/m);
    expect(text.stdout).toMatch(new RegExp(`lost under the proposed settings \\(${r.lost.length}\\)`));
    expect(text.stdout).toMatch(/readings of \d+ devices in [\d.]+ s \(\d+ readings\/s, each through the engine twice\)/);
  });

  it('selects by site, patient and time, and refuses what it cannot use', async () => {
    const all = await selectDevices(tdb.db, {});
    const site = await selectDevices(tdb.db, { sites: ['rp'] });
    expect(site.length).toBe(all.length);
    await expect(selectDevices(tdb.db, { sites: ['nope'] })).rejects.toThrow(/no site nope/);
    await expect(selectDevices(tdb.db, { patients: ['7'] })).rejects.toThrow(ReplayError);
    const whole = await replay(tdb.db, all, {}, null);
    // A window counts only the openings inside it; the engine still learned from before it.
    const cut = Date.parse('2025-04-01T00:00:00Z');
    const later = await replay(tdb.db, all, { from: cut }, null);
    const total = (r: typeof whole) => Object.values(r.kinds).reduce((n, k) => n + k.current, 0);
    expect(total(later)).toBeGreaterThan(0);
    expect(total(later)).toBeLessThan(total(whole));
    expect(later.unmatched).toEqual({ replayOnly: [], storedOnly: [] });

    expect(() => checkProposal({ shock: { minShocks: 1_000_000 } })).toThrow(/refused/);
    const bad = await replayCli('--settings', '/nonexistent/settings.json');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/cannot read --settings/);
    const unknown = await replayCli('--frm', '2026-01-01');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Usage: npm run replay/);
    const order = await replayCli('--from', '2026-02-01', '--to', '2026-01-01');
    expect(order.code).toBe(2);
    expect(order.stderr).toMatch(/--from must be before --to/);
  });
});
