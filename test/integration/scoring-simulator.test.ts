import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import { createCohort, runSimulation, type CohortOptions } from '../../simulators/index.ts';
import { inOrderAlerts, storedAlerts as storedAlertsAt, type AlertView } from '../helpers/in-order-alerts.ts';
import { seedUser, signIn } from '../helpers/people.ts';

// The simulator against the running service: the alerts stored are those the pure engine
// gives for the same cohort taken in event-time order, whether the service runs throughout or
// restarts midway, and every hard-limit event of the ground truth has its alert.
//
// The simulator's gateways deliver some readings after newer ones of the same device (about
// one in a thousand). The service replays the device and applies what the in-order run
// decides; a decision it took before the late reading arrived is not withdrawn (the alert
// contract). So: the same alerts, opened at the same time, every in-order trigger applied,
// and occurrences at least those of the in-order run.

const DAY = 86_400_000;
// A speed-max run moves gateways through event time at different paces: no site-level checks.
const QUIET = { ENGINE_CONNECTIVITY_CHECK_MS: '3600000' };
let tdb: TestDatabase;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
});
afterAll(async () => {
  await tdb?.drop();
});

async function storedAlerts(): Promise<AlertView[]> {
  return storedAlertsAt(tdb.url);
}

/** The stored alerts against the in-order run (see the top of this file). */
async function expectInOrderAlerts(options: CohortOptions): Promise<AlertView[]> {
  const stored = await storedAlerts();
  const expected = inOrderAlerts(options);
  const key = (a: AlertView) => `${a.device}/${a.kind}/${a.openedAt}`;
  expect(stored.map(key)).toEqual(expected.map(key));
  stored.forEach((s, i) => {
    const e = expected[i]!;
    expect([...e.triggers].filter((t) => !s.triggers.has(t)), key(e)).toEqual([]);
    expect(s.occurrences).toBe(s.triggers.size);
    expect(s.occurrences).toBeGreaterThanOrEqual(e.occurrences);
  });
  const left = await sql<{ unscored: number; pending: number }>`
    SELECT (SELECT count(*)::int FROM readings WHERE score IS NULL) AS unscored,
           (SELECT count(*)::int FROM engine_pending) AS pending`.execute(tdb.db);
  expect(left.rows[0]).toEqual({ unscored: 0, pending: 0 });
  return stored;
}

async function reset(): Promise<void> {
  await sql`TRUNCATE readings, reading_keys, alerts, alert_events, alert_triggers, engine_snapshots, engine_pending, risk_changes, device_risk`.execute(tdb.db);
}

const cohortOf = (seed: number): CohortOptions => ({
  patients: 60, days: 150, seed, sites: ['simsite'], start: Math.floor(Date.now() / DAY) * DAY - 150 * DAY,
});

describe('the simulator against the service', () => {
  it('stores the alerts of the engine run in event-time order, and an alert for every hard-limit event', async () => {
    await reset();
    const { key } = await seedGateway(tdb.db, 'simsite');
    const svc = await startService(tdb.db, tdb.url, QUIET);
    const options = cohortOf(21);
    let listed: Array<{ device: string; kind: string; openedAt: string; occurrences: number }>;
    try {
      const summary = await runSimulation({ ...options, url: svc.wsUrl, key, speed: 'max' });
      expect(summary.rejected).toBe(0);
      // What a clinician of the site sees through the API.
      const cookie = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'clinician', ['simsite'])).email);
      const res = await fetch(`${svc.httpUrl}/v1/alerts?limit=1000`, { headers: { cookie } });
      listed = ((await res.json()) as { alerts: typeof listed }).alerts.filter((a) => a.kind !== 'connectivity_loss');
    } finally {
      await svc.close();
    }
    const stored = await expectInOrderAlerts(options);
    expect(stored.length).toBeGreaterThan(5);
    const viaApi = listed.map((a) => `${a.device}/${a.kind}/${Date.parse(a.openedAt)}/${a.occurrences}`).sort();
    expect(viaApi).toEqual(stored.map((a) => `${a.device}/${a.kind}/${a.openedAt}/${a.occurrences}`).sort());

    // Every VT/VF, shock, battery and lead event of the ground truth is alerted.
    const hard = new Set(['ventricular_arrhythmia', 'shock_delivered', 'battery', 'lead_integrity']);
    const truth = createCohort(options).truth.filter((t) => !t.benign && hard.has(t.kind));
    expect(truth.length).toBeGreaterThan(0);
    for (const t of truth) {
      const alert = stored.find((a) => a.device === t.device && a.kind === t.kind);
      expect(alert, `${t.kind} of ${t.device}`).toBeDefined();
    }
  }, 240_000);

  it('gives the same alerts when the service restarts midway', async () => {
    await reset();
    const { key } = await seedGateway(tdb.db, 'simsite');
    const options = cohortOf(21);
    let svc: RunningService = await startService(tdb.db, tdb.url, QUIET);
    const stop = new AbortController();
    await runSimulation({
      ...options, url: svc.wsUrl, key, speed: 'max', signal: stop.signal,
      onProgress: (p) => {
        if (p.simDays >= 70) stop.abort();
      },
    });
    await svc.close();
    const midway = await sql<{ n: number }>`SELECT count(*)::int AS n FROM readings`.execute(tdb.db);
    expect(midway.rows[0]!.n).toBeGreaterThan(0);

    svc = await startService(tdb.db, tdb.url, QUIET);
    try {
      await runSimulation({ ...options, url: svc.wsUrl, key, speed: 'max', resume: true });
    } finally {
      await svc.close();
    }
    await expectInOrderAlerts(options);
  }, 240_000);
});
