import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { freePort, startServiceProcess, type ServiceProcess } from '../helpers/process.ts';
import { seedGateway } from '../helpers/service.ts';
import { runSimulation, type CohortOptions } from '../../simulators/index.ts';
import { AckLedger } from './proxy.ts';
import { compare, generatedKeys, notStored, report, storedReadings } from './check.ts';

// SIGTERM while the simulator's gateways send: the service answers what it received, acks
// what it committed and exits 0. At that moment the database holds exactly the acked readings
// (nothing acked missing, nothing stored that the gateways will resend as unacked); started
// again, the simulator resumes and exactly the generated set is stored, once.

const DAY = 86_400_000;
let tdb: TestDatabase;
let svc: ServiceProcess | undefined;
let ledger: AckLedger | undefined;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
});
afterAll(async () => {
  if (svc && svc.child.exitCode === null) await svc.stop('SIGKILL');
  await ledger?.close();
  await tdb?.drop();
});

describe('graceful shutdown under load', () => {
  it('flushes and acks what is committed, leaves nothing half-written, and resumes to the exact set', async () => {
    const { key } = await seedGateway(tdb.db);
    const port = await freePort();
    const env = { DATABASE_URL: tdb.url, LOG_LEVEL: 'error' };
    svc = await startServiceProcess(env, [], port);
    ledger = await AckLedger.start(() => `ws://127.0.0.1:${port}/v1/ingest`);

    // 100 patients x 90 days: about 160,000 readings.
    const options: CohortOptions = { patients: 100, days: 90, seed: 51, start: Math.floor(Date.now() / DAY) * DAY - 90 * DAY };
    const expected = generatedKeys(options);
    let fault: Promise<void> | null = null;
    const f = { exitCode: -1 as number | null, ackedAtStop: 0, storedAtStop: 0, ackedNotStored: -1, storedNotAcked: -1, unavailable: 0 };
    const summary = await runSimulation({
      ...options,
      url: ledger.url,
      key,
      speed: 'max',
      lateShare: 0.05,
      log: () => {},
      onProgress: () => {
        if (fault || ledger!.acked.size < expected.size * 0.4) return;
        fault = (async () => {
          const unavailableBefore = ledger!.errors.unavailable ?? 0;
          f.exitCode = await svc!.stop('SIGTERM');
          const acked = new Set(ledger!.acked);
          const atStop = await storedReadings(tdb.url);
          f.ackedAtStop = acked.size;
          f.storedAtStop = atStop.rows;
          f.ackedNotStored = notStored(acked, atStop);
          f.storedNotAcked = [...atStop.keys.keys()].filter((k) => !acked.has(k)).length;
          f.unavailable = (ledger!.errors.unavailable ?? 0) - unavailableBefore;
          svc = await startServiceProcess(env, [], port);
        })();
      },
    });
    expect(fault).not.toBeNull();
    await fault;
    expect(await svc.stop('SIGTERM')).toBe(0);

    const stored = await storedReadings(tdb.url);
    const verdict = compare(stored, { expected, acked: ledger.acked });
    report('sigterm-under-load', summary, ledger.acked.size, verdict, {
      exitCode: String(f.exitCode),
      ackedAtStop: f.ackedAtStop,
      storedAtStop: f.storedAtStop,
      ackedAtStopNotStored: f.ackedNotStored,
      storedAtStopNotAcked: f.storedNotAcked,
      unavailableWhileStopping: f.unavailable,
    });

    expect(f.exitCode).toBe(0);
    expect(f.ackedNotStored).toBe(0);
    expect(f.storedNotAcked).toBe(0);
    expect(summary.reconnects).toBeGreaterThan(0);
    expect(summary.rejected + summary.failed).toBe(0);
    expect(verdict).toMatchObject({ storedTwice: 0, missing: 0, unexpected: 0 });
    expect(verdict.stored).toBe(expected.size);
  });
});
