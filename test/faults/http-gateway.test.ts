import { afterAll, describe, expect, it } from 'vitest';
import { createCohort, type CohortOptions, type SimReading } from '../../simulators/index.ts';
import { alertVerdict, compare, generatedKeys, notStored, SAME_ALERTS, settledAlerts, sleep, storedReadings, until } from './check.ts';
import { FaultRun } from './run.ts';

// Gateways on HTTP (POST /v1/readings) through both faults at once: PostgreSQL restarted,
// then the service SIGKILLed and started again. An HTTP gateway resends a batch until it is
// answered 200: after a 503 (Retry-After), and after a connection that broke with no answer,
// when it cannot know whether the batch was stored. Every acked reading is stored, none
// twice, the whole cohort in the end, with the alerts of an uninterrupted run; the service
// answers nothing but 200 and 503.

const DAY = 86_400_000;
const SENDERS = 4;
const BATCH = 500;
let run: FaultRun | undefined;

afterAll(async () => {
  await run?.dispose();
});

interface Tally {
  acked: Set<string>;
  statuses: Record<string, number>;
  broken: number;
  rejected: number;
  /** Readings answered as already stored (the cohort's repeats, and resends of batches stored before their answer was lost). */
  duplicates: number;
}

/** POST one batch until it is answered 200; what happened on the way goes into `tally`. */
async function deliver(url: () => string, key: string, id: string, readings: SimReading[], tally: Tally): Promise<void> {
  for (;;) {
    let res: Response;
    try {
      res = await fetch(`${url()}/v1/readings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ id, readings }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch {
      // No answer (refused, reset, timed out): stored or not, the resend settles it.
      tally.broken++;
      await sleep(200);
      continue;
    }
    tally.statuses[res.status] = (tally.statuses[res.status] ?? 0) + 1;
    const body = (await res.json()) as { rejected?: unknown[]; duplicates?: number };
    if (res.status === 200) {
      tally.rejected += body.rejected?.length ?? 0;
      tally.duplicates += body.duplicates ?? 0;
      for (const r of readings) tally.acked.add(`${r.device}:${r.seq}`);
      return;
    }
    const retryAfter = Number(res.headers.get('retry-after') ?? '1');
    await sleep(Math.min(2000, retryAfter * 1000));
  }
}

describe('HTTP gateways through a PostgreSQL restart and a SIGKILL', () => {
  it('store every acked reading once, the whole cohort in the end, with the alerts of an uninterrupted run', async () => {
    const r = (run = await FaultRun.start({
      server: 'own',
      env: { INGEST_RETRY_AFTER_MS: '200', DB_CONNECT_TIMEOUT_MS: '1000', ENGINE_CONNECTIVITY_CHECK_MS: '3600000', LOG_LEVEL: 'error' },
      site: 'httpsite',
    }));
    // 60 patients x 90 days, in the order the devices sent them, 500 readings a batch.
    const options: CohortOptions = { patients: 60, days: 90, seed: 71, sites: ['httpsite'], start: Math.floor(Date.now() / DAY) * DAY - 90 * DAY };
    const batches: SimReading[][] = [];
    let current: SimReading[] = [];
    for (const t of [...createCohort(options).transmissions()].sort((a, b) => a.sentAt - b.sentAt)) {
      current.push(...t.readings);
      if (current.length >= BATCH) {
        batches.push(current);
        current = [];
      }
    }
    if (current.length > 0) batches.push(current);

    const tally: Tally = { acked: new Set(), statuses: {}, broken: 0, rejected: 0, duplicates: 0 };
    let next = 0;
    let done = 0;
    const faults = { ackedAtPgStop: new Set<string>(), ackedAtKill: new Set<string>(), lostAtPgStop: -1, lostAtKill: -1 };
    const senders = Array.from({ length: SENDERS }, async () => {
      while (next < batches.length) {
        const i = next++;
        await deliver(() => r.httpUrl, r.key, `h-${i}`, batches[i]!, tally);
        done++;
      }
    });
    const faulting = (async () => {
      await until('30 % delivered', () => done >= batches.length * 0.3, 300_000);
      await r.server!.stop();
      faults.ackedAtPgStop = new Set(tally.acked);
      await sleep(3000);
      await r.server!.start();
      faults.lostAtPgStop = notStored(faults.ackedAtPgStop, await storedReadings(r.dbUrl));

      await until('60 % delivered', () => done >= batches.length * 0.6, 300_000);
      r.svc.child.kill('SIGKILL');
      await r.svc.exited;
      faults.ackedAtKill = new Set(tally.acked);
      faults.lostAtKill = notStored(faults.ackedAtKill, await storedReadings(r.dbUrl));
      await r.restart();
    })();
    await Promise.all([...senders, faulting]);

    const expected = generatedKeys(options);
    const alerts = await settledAlerts(r.dbUrl, options);
    const stored = await storedReadings(r.dbUrl);
    const verdict = compare(stored, { expected, acked: tally.acked });
    const line = {
      batches: batches.length, generated: expected.size, acked: tally.acked.size, ...verdict,
      statuses: JSON.stringify(tally.statuses), brokenConnections: tally.broken, rejected: tally.rejected, duplicateAcks: tally.duplicates,
      ackedAtPgStop: faults.ackedAtPgStop.size, ackedAtPgStopNotStored: faults.lostAtPgStop,
      ackedAtKill: faults.ackedAtKill.size, ackedAtKillNotStored: faults.lostAtKill,
      ...alerts.fields,
    };
    console.log(`[faults] http-gateways: ${Object.entries(line).map(([k, v]) => `${k}=${v}`).join(' ')}`);

    expect(faults.ackedAtPgStop.size).toBeGreaterThan(0);
    expect(faults.ackedAtKill.size).toBeGreaterThan(faults.ackedAtPgStop.size);
    expect(faults.lostAtPgStop).toBe(0);
    expect(faults.lostAtKill).toBe(0);
    // The faults were felt: refusals while the database was away, broken connections at the kill.
    expect(tally.statuses['503'] ?? 0).toBeGreaterThan(0);
    expect(tally.broken).toBeGreaterThan(0);
    expect(Object.keys(tally.statuses).filter((s) => s !== '200' && s !== '503')).toEqual([]);
    expect(tally.rejected).toBe(0);
    expect(verdict).toMatchObject({ storedTwice: 0, missing: 0, unexpected: 0 });
    expect(verdict.stored).toBe(expected.size);
    expect(alerts.comparison.expected).toBeGreaterThan(5);
    expect(alertVerdict(alerts.comparison)).toEqual(SAME_ALERTS);
  });
});
