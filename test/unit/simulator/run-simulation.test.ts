import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCohort } from '../../../simulators/cohort.ts';
import { GatewayFatalError } from '../../../simulators/gateway/errors.ts';
import { runSimulation } from '../../../simulators/run.ts';
import { startFakeIngest, type FakeIngest } from './fake-ingest.ts';

const KEY = 'run-key';
const quiet = (): void => {};
let server: FakeIngest | null = null;
let dir: string | null = null;

afterEach(async () => {
  await server?.close();
  server = null;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = null;
});

const base = { patients: 14, days: 12, seed: 'run', start: '2025-03-01', log: quiet } as const;

describe('runSimulation', () => {
  it('closeNow stops at once, even with the service gone and acks outstanding', async () => {
    const fake = await startFakeIngest({ key: KEY });
    const stop = new AbortController();
    // Service gone mid-run: without closeNow the gateways would reconnect forever.
    const timer = setTimeout(() => void fake.close().then(() => stop.abort()), 300);
    const summary = await runSimulation({ ...base, days: 120, url: fake.url, key: KEY, speed: 864_000, closeNow: stop.signal });
    clearTimeout(timer);
    expect(summary.aborted).toBe(true);
    expect(summary.accepted).toBeGreaterThan(0);
    expect(summary.accepted).toBeLessThan(summary.readings);
  });

  it('streams a cohort through bedside gateways and relays until every reading is acked', async () => {
    server = await startFakeIngest({ key: KEY, unavailableAt: 5 });
    dir = await mkdtemp(join(tmpdir(), 'sim-'));
    const truthPath = join(dir, 'truth.json');
    const summary = await runSimulation({
      ...base, url: server.url, key: KEY, gateways: 4, relays: 2, lateShare: 0.1, hourlyHr: true, truth: truthPath,
    });
    const unique = new Set<string>();
    for (const r of createCohort({ ...base, hourlyHr: true }).readings()) unique.add(`${r.device}/${r.seq}`);

    expect(summary.gateways).toBe(4 + 2);
    expect(summary.rejected).toBe(0);
    expect(summary.failed).toBe(0);
    expect(summary.retries).toBe(1);
    expect(summary.lateFlushes).toBeGreaterThan(0);
    expect(summary.accepted + summary.duplicates + summary.confirmedByStatus + summary.skippedOnResume).toBe(summary.readings);
    expect(summary.accepted).toBe(unique.size);
    expect(server.stored.size).toBe(unique.size);
    expect([...server.accepts.values()].every((n) => n === 1)).toBe(true);

    const truth = JSON.parse(await readFile(truthPath, 'utf8')) as { patients: unknown[]; events: Array<{ kind: string }> };
    expect(truth.patients).toHaveLength(14);
    expect(truth.events.length).toBe(summary.truthEvents);
  });

  it('writes the same readings to NDJSON instead of sending', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sim-'));
    const out = join(dir, 'readings.ndjson');
    const summary = await runSimulation({ ...base, out, truth: join(dir, 'truth.ndjson') });
    const lines = (await readFile(out, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(summary.sent);
    const expected = [...createCohort(base).readings()].map((r) => JSON.stringify(r));
    expect(lines).toEqual(expected);
    const truthLines = (await readFile(join(dir, 'truth.ndjson'), 'utf8')).trim().split('\n');
    expect(truthLines.length).toBe(summary.truthEvents);
  });

  it('stops with a fatal error when the key is refused', async () => {
    server = await startFakeIngest({ key: KEY });
    const err = await runSimulation({ ...base, url: server.url, key: 'nope' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayFatalError);
  });

  it('needs a url and key to send', async () => {
    await expect(runSimulation({ ...base })).rejects.toThrow(/url/);
    await expect(runSimulation({ ...base, url: 'ws://127.0.0.1:1/v1/ingest' })).rejects.toThrow(/key/);
  });
});
