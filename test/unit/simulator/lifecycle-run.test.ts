import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCli } from '../../../simulators/cli-args.ts';
import { createCohort } from '../../../simulators/cohort.ts';
import { runSimulation } from '../../../simulators/run.ts';
import { startFakeIngest, type FakeIngest } from './fake-ingest.ts';

const KEY = 'lifecycle-key';
let server: FakeIngest | null = null;
let dir: string | null = null;

afterEach(async () => {
  await server?.close();
  server = null;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = null;
});

// A cohort with a generator change within its first 80 days.
const base = { patients: 60, days: 80, seed: 'lifecycle-run-3', start: '2025-03-01', lifecycle: true, log: () => {} } as const;

describe('simulate --lifecycle', () => {
  it('takes the flag', () => {
    expect(parseCli(['--out', 'x.ndjson', '--lifecycle']).sim.lifecycle).toBe(true);
    expect(parseCli(['--out', 'x.ndjson']).sim.lifecycle).toBeUndefined();
  });

  it('sends a replacement generator\'s readings through its patient\'s gateway and writes the events to the truth', async () => {
    const cohort = createCohort(base);
    const change = cohort.lifecycle.find((e) => e.kind === 'generator_change');
    expect(change).toBeDefined();
    server = await startFakeIngest({ key: KEY });
    dir = await mkdtemp(join(tmpdir(), 'sim-lifecycle-'));
    const truthPath = join(dir, 'truth.json');
    const summary = await runSimulation({ ...base, url: server.url, key: KEY, gateways: 3, relays: 1, truth: truthPath });
    expect(summary.rejected + summary.failed).toBe(0);
    expect([...server.stored.keys()].some((k) => k.startsWith(`${change!.device}/`))).toBe(true);
    const truth = JSON.parse(await readFile(truthPath, 'utf8')) as { generator: { lifecycle?: boolean }; lifecycle: unknown[] };
    expect(truth.generator.lifecycle).toBe(true);
    expect(truth.lifecycle).toEqual(JSON.parse(JSON.stringify(cohort.lifecycle)));

    const ndjson = join(dir, 'truth.ndjson');
    await runSimulation({ ...base, out: join(dir, 'r.ndjson'), truth: ndjson });
    const lines = (await readFile(ndjson, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => 'lifecycle' in l)).toHaveLength(cohort.lifecycle.length);
  }, 60_000);
});
