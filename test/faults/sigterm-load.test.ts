import { afterAll, describe, expect, inject, it } from 'vitest';
import { runSimulation, type CohortOptions } from '../../simulators/index.ts';
import { compare, generatedKeys, notStored, report, storedReadings } from './check.ts';
import { FaultRun } from './run.ts';

// SIGTERM while the simulator's gateways send: the service answers what it received, acks
// what it committed and exits 0. At that moment the database holds exactly the acked readings
// (nothing acked missing, nothing stored that the gateways will resend as unacked); started
// again, the simulator resumes and exactly the generated set is stored, once.

const DAY = 86_400_000;
let run: FaultRun | undefined;

afterAll(async () => {
  await run?.dispose();
});

describe('graceful shutdown under load', () => {
  it('flushes and acks what is committed, leaves nothing half-written, and resumes to the exact set', async () => {
    const r = (run = await FaultRun.start({ server: { adminUrl: inject('pgAdminUrl') }, env: { LOG_LEVEL: 'error' } }));
    const { ledger, key } = r;

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
        if (fault || ledger.acked.size < expected.size * 0.4) return;
        fault = (async () => {
          const unavailableBefore = ledger.errors.unavailable ?? 0;
          f.exitCode = await r.svc.stop('SIGTERM');
          const acked = new Set(ledger.acked);
          const atStop = await storedReadings(r.dbUrl);
          f.ackedAtStop = acked.size;
          f.storedAtStop = atStop.rows;
          f.ackedNotStored = notStored(acked, atStop);
          f.storedNotAcked = [...atStop.keys.keys()].filter((k) => !acked.has(k)).length;
          f.unavailable = (ledger.errors.unavailable ?? 0) - unavailableBefore;
          await r.restart();
        })();
      },
    });
    expect(fault).not.toBeNull();
    await fault;
    expect(await r.svc.stop('SIGTERM')).toBe(0);

    const stored = await storedReadings(r.dbUrl);
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
