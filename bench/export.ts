// npm run bench:export: the timeline export over a generated table of 5+ million events,
// rows/s and peak extra memory for each format. Rows are generated with SQL straight into
// a bench database (bench/lib.ts), not through ingest: this measures the export alone.
import os from 'node:os';
import { sql } from 'kysely';
import { benchDatabase, benchSiteAndGateway } from './lib.ts';
import { runExport } from '../src/export/run.ts';
import { parseExportRequest } from '../src/export/filter.ts';
import { FORMATS } from '../src/export/format.ts';
import { allSites } from '../src/store/export.ts';

const SUBJECTS = Number(process.env.BENCH_SUBJECTS ?? 2000);
const EVENTS_PER_SUBJECT = Number(process.env.BENCH_EVENTS_PER_SUBJECT ?? 2600);
const KEY = 'bench export key, not a secret, 32+ characters';
const MiB = 2 ** 20;

async function main(): Promise<void> {
  const database = await benchDatabase();
  const { db } = database;
  try {
    const t0 = performance.now();
    await benchSiteAndGateway(db);
    await sql`
      INSERT INTO patients (site_id, family_name, given_name, date_of_birth, sex)
      SELECT 1, 'Family' || g, 'Given' || g, date '1930-01-01' + (g * 7919 % 20000), (ARRAY['female','male'])[1 + g % 2]
      FROM generate_series(1, ${SUBJECTS}) g`.execute(db);
    await sql`INSERT INTO devices (serial, site_id) SELECT 'DEV-' || g, 1 FROM generate_series(1, ${SUBJECTS}) g`.execute(db);
    await sql`INSERT INTO enrolments (device_id, patient_id, device_type, enrolled_at, age_at_enrolment) SELECT g, g, 'icd', timestamptz '2025-01-01', 30 + g * 7919 % 65 FROM generate_series(1, ${SUBJECTS}) g`.execute(db);
    // Per device: one reading a day over the metrics that become events (episodes, ATP,
    // shocks with value > 0; battery statuses that change every 500 days), plus risk changes.
    // In slices of devices: each statement stays well inside the statement timeout.
    for (let lo = 1; lo <= SUBJECTS; lo += 100) await sql`
      INSERT INTO readings (device_id, seq, at, metric, value, gateway_id)
      SELECT d, s, timestamptz '2025-01-01' + s * interval '3 hours',
             CASE WHEN s % 500 = 0 THEN 23 ELSE (ARRAY[25, 26, 28, 29])[1 + s % 4] END,
             CASE WHEN s % 500 = 0 THEN 1 + (s / 500) % 4 ELSE 1 + s % 3 END, 1
      FROM generate_series(${lo}::int, ${Math.min(SUBJECTS, lo + 99)}::int) d, generate_series(1, ${EVENTS_PER_SUBJECT}) s`.execute(db);
    await sql`
      INSERT INTO risk_changes (device_id, at, seq, status, previous, score)
      SELECT d, timestamptz '2025-01-01' + s * interval '5 days', s, (ARRAY['Low','Medium','High'])[1 + s % 3], (ARRAY['Low','Medium','High'])[1 + (s + 2) % 3], 0.5
      FROM generate_series(1, ${SUBJECTS}) d, generate_series(1, 50) s`.execute(db);
    await sql`ANALYZE`.execute(db);
    const setupS = (performance.now() - t0) / 1000;
    const sites = await allSites(db);
    console.log(`bench:export on ${database.where}; ${SUBJECTS} subjects, ${(SUBJECTS * EVENTS_PER_SUBJECT).toLocaleString('en')} readings generated in ${setupS.toFixed(0)} s`);

    for (const format of FORMATS) {
      global.gc?.();
      const base = process.memoryUsage().rss;
      let peak = base;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
      let bytes = 0;
      const load = os.loadavg()[0]!;
      const cpu = process.cpuUsage();
      const start = performance.now();
      const result = await runExport({
        db,
        key: KEY,
        request: parseExportRequest({ format }),
        sites,
        write: (chunk) => {
          bytes += Buffer.byteLength(chunk);
        },
      });
      const seconds = (performance.now() - start) / 1000;
      const used = process.cpuUsage(cpu);
      clearInterval(sampler);
      peak = Math.max(peak, process.memoryUsage().rss);
      console.log(
        `${format.padEnd(6)} ${result.rows.toLocaleString('en')} rows, ${result.subjects} subjects, ${(bytes / MiB).toFixed(0)} MiB in ${seconds.toFixed(1)} s: ` +
          `${Math.round(result.rows / seconds).toLocaleString('en')} rows/s, peak RSS +${((peak - base) / MiB).toFixed(1)} MiB; ` +
          // Other work on the machine slows both processes: the exporter's own CPU time and the load say how much.
          `exporter CPU ${((used.user + used.system) / 1e6).toFixed(1)} s, load average ${load.toFixed(1)} at start (${os.cpus().length} cores)`,
      );
    }
  } finally {
    await database.dispose();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
