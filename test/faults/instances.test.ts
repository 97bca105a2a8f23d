import { afterAll, describe, expect, inject, it } from 'vitest';
import { runSimulation, type CohortOptions } from '../../simulators/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway } from '../helpers/service.ts';
import { startTopology, type Topology } from '../helpers/topology.ts';
import { alertVerdict, compare, compareScores, generatedKeys, notStored, report, SAME_ALERTS, settledAlerts, storedReadings } from './check.ts';
import { AckLedger } from './proxy.ts';

// Three instances behind HAProxy, pools through PgBouncer, on one database: the cohort's
// gateways spread over them (leastconn), so a device's batches may reach any instance and
// each device is scored by whichever holds its lease (src/scoring/leases.ts). One instance is
// SIGKILLed mid-run; its gateways reconnect through HAProxy to the other two, which declare it
// dead (its LISTEN backend is gone) and take its devices over from the database. Before and
// after the kill every gateway connection is cut (a network blip): the gateways reconnect,
// maybe to another instance, while the one that held their devices is alive and may still be
// committing their batches in flight: the devices are handed over between live instances. Nothing acked
// is lost or stored twice, every stored reading carries the score of an uninterrupted
// in-order run (a reading scored by two states, or by one that missed readings, would not),
// and the alerts are those of the pure engine in event-time order.

const DAY = 86_400_000;
let tdb: TestDatabase | undefined;
let topology: Topology | undefined;
let ledger: AckLedger | undefined;

afterAll(async () => {
  await ledger?.close();
  await topology?.close();
  await tdb?.drop();
});

describe('three instances behind HAProxy, one SIGKILLed mid-run', () => {
  it('loses nothing acked, stores and scores nothing twice, and ends with the alerts of an uninterrupted run', async () => {
    tdb = await createTestDatabase(inject('pgAdminUrl'));
    const { key } = await seedGateway(tdb.db, 'simsite');
    const url = tdb.url;
    // A speed-max run moves gateways through event time at different paces: no site-level checks.
    topology = await startTopology({
      databaseUrl: url,
      instances: 3,
      env: { ENGINE_CONNECTIVITY_CHECK_MS: '3600000', LOG_LEVEL: 'error' },
    });
    const t = topology;
    ledger = await AckLedger.start(() => t.wsUrl);

    // 60 patients x 150 days on one site (about 170,000 readings), as the single-instance SIGKILL test.
    const options: CohortOptions = { patients: 60, days: 150, seed: 21, sites: ['simsite'], start: Math.floor(Date.now() / DAY) * DAY - 150 * DAY };
    const expected = generatedKeys(options);
    const l = ledger;
    let fault: Promise<void> | null = null;
    let ackedAtKill = new Set<string>();
    let ackedAtKillNotStored = -1;
    let storedAtKill = 0;
    const spread: Record<string, number> = {};
    const blips = [0.15, 0.25, 0.7];
    let cut = 0;
    const summary = await runSimulation({
      ...options,
      url: l.url,
      key,
      speed: 'max',
      lateShare: 0.05,
      log: () => {},
      onProgress: () => {
        if (blips.length > 0 && l.acked.size >= expected.size * blips[0]!) {
          blips.shift();
          cut += l.dropAll();
        }
        if (fault || l.acked.size < expected.size * 0.4) return;
        fault = (async () => {
          // The gateways are spread: each instance holds some of their sockets.
          for (const [name, s] of Object.entries(await t.haproxy.servers('service'))) spread[name] = s.sessions;
          await t.kill('s2', 'SIGKILL');
          ackedAtKill = new Set(l.acked);
          const atKill = await storedReadings(url);
          storedAtKill = atKill.rows;
          ackedAtKillNotStored = notStored(ackedAtKill, atKill);
        })();
      },
    });
    expect(fault).not.toBeNull();
    await fault;

    const alerts = await settledAlerts(url, options);
    const scores = await compareScores(url, options);
    const stored = await storedReadings(url);
    const verdict = compare(stored, { expected, acked: l.acked });
    report('instances', summary, l.acked.size, verdict, {
      ackedAtKill: ackedAtKill.size,
      storedAtKill,
      ackedAtKillNotStored,
      connectionsCut: cut,
      scoresCompared: scores.compared,
      scoresMismatched: scores.mismatched,
      ...Object.fromEntries(Object.entries(spread).map(([k, v]) => [`sessionsAtKill_${k}`, v])),
      ...alerts.fields,
    });

    expect(Object.values(spread).filter((n) => n > 0).length).toBe(3);
    expect(cut).toBeGreaterThan(0);
    expect(summary.reconnects).toBeGreaterThan(cut);
    expect(summary.rejected + summary.failed).toBe(0);
    expect(ackedAtKillNotStored).toBe(0);
    expect(verdict).toMatchObject({ storedTwice: 0, missing: 0, unexpected: 0 });
    expect(verdict.stored).toBe(expected.size);
    expect(scores.mismatches).toEqual([]);
    expect(scores.compared).toBe(expected.size);
    expect(alerts.comparison.expected).toBeGreaterThan(5);
    expect(alertVerdict(alerts.comparison)).toEqual(SAME_ALERTS);
  });
});
