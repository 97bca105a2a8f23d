import { afterAll, describe, expect, it } from 'vitest';
import { runSimulation, type CohortOptions } from '../../simulators/index.ts';
import { alertVerdict, compare, generatedKeys, notStored, report, SAME_ALERTS, settledAlerts, sleep, storedReadings, until } from './check.ts';
import { FaultRun } from './run.ts';

// PostgreSQL is stopped and started again while the simulator streams into the service
// process: the process must stay up, recover by itself, and lose or double nothing acked;
// the alerts at the end are those of an uninterrupted run (a failed write drops the
// devices' engine state, which is rebuilt from what was stored).

const DAY = 86_400_000;
let run: FaultRun | undefined;

afterAll(async () => {
  await run?.dispose();
});

describe('PostgreSQL restarted mid-stream', () => {
  it('keeps the service up, resumes ingest by itself, and stores every acked reading exactly once', async () => {
    run = await FaultRun.start({ server: 'own', env: { INGEST_RETRY_AFTER_MS: '200', DB_CONNECT_TIMEOUT_MS: '1000', LOG_LEVEL: 'error' } });
    const { ledger, key, httpUrl } = run;
    const server = run.server!;

    // 100 patients x 90 days: about 190,000 readings.
    const options: CohortOptions = { patients: 100, days: 90, seed: 31, start: Math.floor(Date.now() / DAY) * DAY - 90 * DAY };
    let fault: Promise<void> | null = null;
    let ackedAtStop = new Set<string>();
    let notReadyDuringOutage = false;
    let ackedDuringOutage = 0;
    const summary = await runSimulation({
      ...options,
      url: ledger.url,
      key,
      speed: 'max',
      lateShare: 0.05,
      log: () => {},
      onProgress: () => {
        if (fault || ledger.acked.size < 30_000) return;
        fault = (async () => {
          await server.stop();
          ackedAtStop = new Set(ledger.acked);
          const ready = await fetch(`${httpUrl}/health/ready`);
          notReadyDuringOutage = ready.status === 503;
          await sleep(3000);
          ackedDuringOutage = ledger.acked.size - ackedAtStop.size;
          await server.start();
        })();
      },
    });
    expect(fault).not.toBeNull();
    await fault;

    await until('ready again', async () => (await fetch(`${httpUrl}/health/ready`)).status === 200);
    const stored = await storedReadings(run.dbUrl);
    const verdict = compare(stored, { expected: generatedKeys(options), acked: ledger.acked });
    const lostAtStop = notStored(ackedAtStop, stored);
    const alerts = await settledAlerts(run.dbUrl, options);
    const alive = run.alive();
    report('pg-restart', summary, ledger.acked.size, verdict, {
      ackedAtStop: ackedAtStop.size,
      ackedDuringOutage,
      ackedAtStopNotStored: lostAtStop,
      unavailable: ledger.errors.unavailable ?? 0,
      readyWasNotReady: notReadyDuringOutage,
      serviceAlive: alive,
      ...alerts.fields,
    });

    expect(alive).toBe(true);
    expect(notReadyDuringOutage).toBe(true);
    expect(summary.rejected + summary.failed).toBe(0);
    expect(lostAtStop).toBe(0);
    expect(verdict).toMatchObject({ storedTwice: 0, missing: 0, unexpected: 0 });
    expect(verdict.stored).toBe(generatedKeys(options).size);
    // Ingest resumed by itself: readings were acked after the restart.
    expect(ledger.acked.size).toBeGreaterThan(ackedAtStop.size);
    expect(alerts.comparison.expected).toBeGreaterThan(5);
    expect(alertVerdict(alerts.comparison)).toEqual(SAME_ALERTS);
  });
});
