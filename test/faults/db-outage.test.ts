import { afterAll, describe, expect, it } from 'vitest';
import { readings } from '../helpers/gateway.ts';
import { runSimulation, type CohortOptions } from '../../simulators/index.ts';
import { FaultRun } from './run.ts';
import { alertVerdict, compare, generatedKeys, notStored, report, rssMb, SAME_ALERTS, settledAlerts, sleep, storedReadings, until } from './check.ts';

// PostgreSQL stopped for 30 s (not a crash: a clean stop, then nothing) while the simulator
// streams: batches are answered `unavailable`, HTTP 503 with Retry-After, readiness says not
// ready, the service's memory stays bounded, and after recovery everything is stored.

const DAY = 86_400_000;
const OUTAGE_MS = 30_000;
let run: FaultRun | undefined;

afterAll(async () => {
  await run?.dispose();
});

describe('the database unavailable for 30 s', () => {
  it('answers unavailable and 503, keeps memory bounded, and stores everything after recovery', async () => {
    run = await FaultRun.start({ server: 'own', env: { INGEST_RETRY_AFTER_MS: '1000', DB_CONNECT_TIMEOUT_MS: '1000', LOG_LEVEL: 'error' } });
    const { ledger, key, httpUrl } = run;
    const server = run.server!;
    const post = (body: unknown) => fetch(`${httpUrl}/v1/readings`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(body),
    });
    const httpBatch = { id: 'outage-http', readings: readings('OUTAGE-HTTP', 1, 20) };

    // 100 patients x 120 days: about 210,000 readings, most of them sent after the outage.
    const options: CohortOptions = { patients: 100, days: 120, seed: 41, start: Math.floor(Date.now() / DAY) * DAY - 120 * DAY };
    const o = { rssBefore: 0, rssPeak: 0, rssAfter: 0, rssSamples: 0, readySamples: 0, readyNot: 0, http: 0, retryAfter: '', unavailable: 0, ackedDuring: 0 };
    let ackedAtStop = new Set<string>();
    let fault: Promise<void> | null = null;
    const summary = await runSimulation({
      ...options,
      url: ledger.url,
      key,
      speed: 'max',
      log: () => {},
      onProgress: () => {
        if (fault || ledger.acked.size < 30_000) return;
        fault = (async () => {
          o.rssBefore = (await rssMb(httpUrl)) ?? 0;
          const unavailableBefore = ledger.errors.unavailable ?? 0;
          await server.stop();
          ackedAtStop = new Set(ledger.acked);
          const end = Date.now() + OUTAGE_MS;
          const res = await post(httpBatch);
          o.http = res.status;
          o.retryAfter = res.headers.get('retry-after') ?? '';
          while (Date.now() < end) {
            const [rss, ready] = await Promise.all([rssMb(httpUrl), fetch(`${httpUrl}/health/ready`).then((r) => r.status)]);
            if (rss !== null) {
              o.rssSamples++;
              o.rssPeak = Math.max(o.rssPeak, rss);
            }
            o.readySamples++;
            if (ready === 503) o.readyNot++;
            await sleep(1000);
          }
          o.unavailable = (ledger.errors.unavailable ?? 0) - unavailableBefore;
          o.ackedDuring = ledger.acked.size - ackedAtStop.size;
          await server.start();
        })();
      },
    });
    expect(fault).not.toBeNull();
    await fault;
    await until('ready again', async () => (await fetch(`${httpUrl}/health/ready`)).status === 200);
    // The HTTP client resends its refused batch, as Retry-After told it to.
    const resent = await post(httpBatch);
    const resentBody = (await resent.json()) as { accepted: number };
    o.rssAfter = (await rssMb(httpUrl)) ?? 0;

    const stored = await storedReadings(run.dbUrl, 'OUTAGE-HTTP');
    const verdict = compare(stored, { expected: generatedKeys(options), acked: ledger.acked });
    const alerts = await settledAlerts(run.dbUrl, options);
    const alive = run.alive();
    report('db-outage-30s', summary, ledger.acked.size, verdict, {
      ackedAtStop: ackedAtStop.size,
      ackedDuringOutage: o.ackedDuring,
      ackedAtStopNotStored: notStored(ackedAtStop, stored),
      wsUnavailableDuringOutage: o.unavailable,
      httpStatusDuringOutage: o.http,
      retryAfter: o.retryAfter,
      httpAcceptedAfter: resentBody.accepted,
      readyNotReady: `${o.readyNot}/${o.readySamples}`,
      rssBeforeMB: o.rssBefore,
      rssPeakDuringMB: o.rssPeak,
      rssAfterMB: o.rssAfter,
      serviceAlive: alive,
      ...alerts.fields,
    });

    expect(alive).toBe(true);
    expect(o.unavailable).toBeGreaterThan(0);
    expect(o.ackedDuring).toBe(0); // nothing is acked that could not be committed
    expect(o.http).toBe(503);
    expect(Number(o.retryAfter)).toBeGreaterThan(0);
    expect(o.readySamples).toBeGreaterThan(10);
    expect(o.readyNot).toBe(o.readySamples);
    expect(o.rssSamples).toBeGreaterThan(10);
    // Bounded: the gateways' windows are all the service holds while it cannot write.
    expect(o.rssPeak).toBeLessThan(o.rssBefore + 300);
    expect(resent.status).toBe(200);
    expect(resentBody.accepted).toBe(20);
    expect(summary.rejected + summary.failed).toBe(0);
    expect(verdict).toMatchObject({ storedTwice: 0, missing: 0, unexpected: 0 });
    expect(verdict.stored).toBe(generatedKeys(options).size);
    expect(alerts.comparison.expected).toBeGreaterThan(5);
    expect(alertVerdict(alerts.comparison)).toEqual(SAME_ALERTS);
  });
});
