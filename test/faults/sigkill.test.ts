import { afterAll, describe, expect, inject, it } from 'vitest';
import { runSimulation, type CohortOptions } from '../../simulators/index.ts';
import { alertVerdict, compare, generatedKeys, notStored, report, SAME_ALERTS, settledAlerts, storedReadings } from './check.ts';
import { FaultRun } from './run.ts';

// The service process is killed (SIGKILL) mid-stream and started again on the same port.
// The gateways reconnect, ask `status` and resend: nothing acked is lost, nothing is stored
// twice, and the alerts at the end are those of the pure engine run in event-time order
// (what an uninterrupted run stores; test/integration/scoring-simulator.test.ts).

const DAY = 86_400_000;
let run: FaultRun | undefined;

afterAll(async () => {
  await run?.dispose();
});

describe('SIGKILL mid-stream and start again', () => {
  it('loses nothing acked, stores nothing twice, and ends with the alerts of an uninterrupted run', async () => {
    // A speed-max run moves gateways through event time at different paces: no site-level checks.
    const env = { ENGINE_CONNECTIVITY_CHECK_MS: '3600000', LOG_LEVEL: 'error' };
    const r = (run = await FaultRun.start({ server: { adminUrl: inject('pgAdminUrl') }, env, site: 'simsite' }));
    const { ledger, key } = r;

    // 60 patients x 150 days on one site (about 170,000 readings), the cohort of the scoring test.
    const options: CohortOptions = { patients: 60, days: 150, seed: 21, sites: ['simsite'], start: Math.floor(Date.now() / DAY) * DAY - 150 * DAY };
    const expected = generatedKeys(options);
    let fault: Promise<void> | null = null;
    let ackedAtKill = new Set<string>();
    let ackedAtKillNotStored = -1;
    let storedAtKill = 0;
    const summary = await runSimulation({
      ...options,
      url: ledger.url,
      key,
      speed: 'max',
      lateShare: 0.05,
      log: () => {},
      onProgress: () => {
        if (fault || ledger.acked.size < expected.size * 0.4) return;
        fault = (async () => {
          r.svc.child.kill('SIGKILL');
          await r.svc.exited;
          ackedAtKill = new Set(ledger.acked);
          const atKill = await storedReadings(r.dbUrl);
          storedAtKill = atKill.rows;
          ackedAtKillNotStored = notStored(ackedAtKill, atKill);
          await r.restart();
        })();
      },
    });
    expect(fault).not.toBeNull();
    await fault;

    // Replays of late readings run in the background; settledAlerts waits for them.
    const alerts = await settledAlerts(r.dbUrl, options);
    expect(await r.svc.stop('SIGTERM')).toBe(0);
    const stored = await storedReadings(r.dbUrl);
    const verdict = compare(stored, { expected, acked: ledger.acked });
    report('sigkill', summary, ledger.acked.size, verdict, {
      ackedAtKill: ackedAtKill.size,
      storedAtKill,
      ackedAtKillNotStored,
      ...alerts.fields,
    });

    expect(summary.reconnects).toBeGreaterThan(0);
    expect(summary.rejected + summary.failed).toBe(0);
    expect(ackedAtKillNotStored).toBe(0);
    expect(verdict).toMatchObject({ storedTwice: 0, missing: 0, unexpected: 0 });
    expect(verdict.stored).toBe(expected.size);
    expect(alerts.comparison.expected).toBeGreaterThan(5);
    expect(alertVerdict(alerts.comparison)).toEqual(SAME_ALERTS);
  });
});
