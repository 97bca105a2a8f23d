import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway } from '../helpers/service.ts';
import { freePort, startServiceProcess, type ServiceProcess } from '../helpers/process.ts';
import { createCohort, runSimulation } from '../../simulators/index.ts';

// The simulator against the real service process, killed with SIGKILL mid-run and
// started again: every generated reading must end up stored exactly once.

const DAY = 86_400_000;
let tdb: TestDatabase;
let svc: ServiceProcess | undefined;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
});
afterAll(async () => {
  if (svc && svc.child.exitCode === null) await svc.stop('SIGKILL');
  await tdb?.drop();
});

describe('simulator against the service, across a SIGKILL', () => {
  it('ends with the database holding exactly the generated readings', async () => {
    const { key } = await seedGateway(tdb.db);
    const port = await freePort();
    const env = { DATABASE_URL: tdb.url };
    const cohortOptions = { patients: 120, days: 90, seed: 11, start: Math.floor(Date.now() / DAY) * DAY - 90 * DAY };

    svc = await startServiceProcess(env, [], port);
    let killed = false;
    let restarted: Promise<void> | null = null;
    const lines: string[] = [];
    const summary = await runSimulation({
      ...cohortOptions,
      url: `ws://127.0.0.1:${port}/v1/ingest`,
      key,
      speed: 'max',
      lateShare: 0.05,
      log: (l) => void lines.push(l),
      onProgress: (p) => {
        if (!killed && p.acked > 2000) {
          killed = true;
          svc!.child.kill('SIGKILL');
          restarted = svc!.exited.then(async () => {
            svc = await startServiceProcess(env, [], port);
          });
        }
      },
    });
    await restarted;
    expect(killed).toBe(true);
    expect(summary.reconnects).toBeGreaterThan(0);
    expect(summary.rejected).toBe(0);

    const expected = new Set<string>();
    for (const r of createCohort(cohortOptions).readings()) expected.add(`${r.device}:${r.seq}`);
    const rows = await sql<{ serial: string; seq: number }>`
      SELECT d.serial, r.seq FROM readings r JOIN devices d ON d.id = r.device_id`.execute(tdb.db);
    const stored = rows.rows.map((r) => `${r.serial}:${r.seq}`);
    expect(stored.length).toBe(expected.size); // nothing twice (the key is unique) and nothing missing
    expect(stored.filter((k) => !expected.has(k))).toEqual([]);
    await svc.stop('SIGTERM');
  }, 240_000);
});
