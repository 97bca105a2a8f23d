// npm run bench:replay: how fast `npm run replay` runs the engine over stored history, beside
// a plain read of the same rows in the same run (the floor: PostgreSQL and decoding alone).
// Readings are generated with SQL straight into a bench database (bench/lib.ts), one device
// a year of daily trends, so the figures measure the replay, not ingest.
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { benchDatabase, benchSiteAndGateway } from './lib.ts';
import { metricByName } from '../src/domain/vocabulary.ts';
import { replay, selectDevices } from '../src/replay/replay.ts';
import { replayReadings } from '../src/store/replay.ts';

const DEVICES = Number(process.env.BENCH_DEVICES ?? 200);
const DAYS = Number(process.env.BENCH_DAYS ?? 365);
/** The metrics of a day, with a mean and a daily wobble: an ICD's remote trends. */
const DAILY: ReadonlyArray<readonly [string, number, number]> = [
  ['thoracic_impedance', 70, 2], ['night_heart_rate', 64, 3], ['activity', 250, 40], ['af_burden', 0.2, 0.2],
  ['rv_lead_impedance', 550, 15], ['shock_impedance', 60, 3], ['rv_capture_threshold', 0.8, 0.05], ['rv_pacing_pct', 10, 3],
  ['heart_rate', 70, 4], ['battery_voltage', 3.0, 0.01], ['vt_episodes', 0, 0], ['shocks_delivered', 0, 0],
];
const TARGET = 1_000_000;

async function main(): Promise<void> {
  const database = await benchDatabase();
  const { db } = database;
  try {
    const t0 = performance.now();
    await benchSiteAndGateway(db);
    await sql`INSERT INTO devices (serial, site_id) SELECT 'RPL-' || g, 1 FROM generate_series(1, ${DEVICES}) g`.execute(db);
    const ids = DAILY.map(([m]) => metricByName(m).id);
    const means = DAILY.map(([, mean]) => mean);
    const wobbles = DAILY.map(([, , w]) => w);
    for (let lo = 1; lo <= DEVICES; lo += 20) await sql`
      INSERT INTO readings (device_id, seq, at, metric, value, gateway_id)
      SELECT d, day * ${DAILY.length} + k, timestamptz '2025-01-01' + day * interval '1 day' + k * interval '1 minute',
             (${ids}::int2[])[k + 1], round(((${means}::float8[])[k + 1] + (${wobbles}::float8[])[k + 1] * sin(day / 3.0 + d))::numeric, 3), 1
      FROM generate_series(${lo}::int, ${Math.min(DEVICES, lo + 19)}::int) d, generate_series(0, ${DAYS - 1}) day, generate_series(0, ${DAILY.length - 1}) k`.execute(db);
    await sql`ANALYZE readings`.execute(db);
    const total = DEVICES * DAYS * DAILY.length;
    console.log(`bench:replay on ${database.where}; ${DEVICES} devices × ${DAYS} days × ${DAILY.length} metrics = ${total.toLocaleString('en')} readings generated in ${((performance.now() - t0) / 1000).toFixed(0)} s`);

    const devices = await selectDevices(db, { sites: ['bench'], patients: [], from: null, to: null });
    const rows: Array<[string, number, number, number]> = [];
    const phase = async (name: string, work: () => Promise<number>) => {
      global.gc?.();
      const rss0 = process.memoryUsage().rss;
      const cpu = process.cpuUsage();
      const start = performance.now();
      const n = await work();
      const s = (performance.now() - start) / 1000;
      const used = process.cpuUsage(cpu);
      rows.push([name, n / s, (used.user + used.system) / 1e3 / n * 1e3, (process.memoryUsage().rss - rss0) / 2 ** 20]);
    };
    // The floor: the replay's own query per device, rows decoded, nothing else.
    await phase('plain read of the same rows (replay\'s query)', async () => {
      let n = 0;
      for (const d of devices) n += (await replayReadings(db, d.id, null)).length;
      return n;
    });
    await phase('replay, current settings (one engine)', async () => (await replay(db, devices, { sites: ['bench'], patients: [], from: null, to: null }, null)).readings);
    await phase('replay, a proposed override (two engines)', async () =>
      (await replay(db, devices, { sites: ['bench'], patients: [], from: null, to: null }, { hf: { fluidThreshold: 80 } })).readings);

    console.log(`\n${'phase'.padEnd(48)} ${'readings/s'.padStart(12)} ${'CPU µs/reading (this process)'.padStart(30)} ${'RSS +MiB'.padStart(9)}`);
    for (const [name, rate, cpuUs, rss] of rows) {
      console.log(`${name.padEnd(48)} ${Math.round(rate).toLocaleString('en').padStart(12)} ${cpuUs.toFixed(2).padStart(30)} ${rss.toFixed(0).padStart(9)}`);
    }
    console.log(`\ntarget (issue): ${TARGET.toLocaleString('en')} readings/s a core; the plain read above is this machine's ceiling for the replay's query as written`);
  } finally {
    await database.dispose();
  }
}

await main();
