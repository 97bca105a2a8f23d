// Partition maintenance on a real database: months for rows that fell into DEFAULT and months
// ahead, retention that detaches, archives and drops old months and leaves the rest, the
// months a pending engine replay still reads kept, quarantine retention in chunks, and the
// service making months ahead at start.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { startService } from '../helpers/service.ts';
import { writeGroup, type WriteBatch } from '../../src/ingest/group-write.ts';
import type { ReadingRow } from '../../src/store/readings.ts';
import { detachedMonths, detachMonth, partitionName, readingPartitions } from '../../src/store/partitions.ts';
import { addMonths, planMaintenance, runMaintenance, type MaintenanceOptions } from '../../src/partitions/maintenance.ts';
import { STATE_VERSION } from '../../src/engine/index.ts';

let tdb: TestDatabase;
let archiveDir: string;
const NOW = Date.now();
const DAY = 86_400_000;
/** The first instant of the month `k` months from this one. */
const m = (k: number) => addMonths(NOW, k);

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  archiveDir = fs.mkdtempSync(path.join(os.tmpdir(), 'telemetry-archive-'));
});
afterAll(async () => {
  await tdb?.drop();
  fs.rmSync(archiveDir, { recursive: true, force: true });
});

const options = (o: Partial<MaintenanceOptions> = {}): MaintenanceOptions => ({
  aheadMonths: 3, retentionMonths: 0, quarantineRetentionDays: 0, archiveDir, snapshotEveryDays: 7, now: () => NOW, ...o,
});

function batch(rows: ReadingRow[]): WriteBatch {
  return { rows, indexes: rows.map((_, i) => i), raws: rows.map(() => ({})), quarantine: [], context: { gatewayId: null, siteId: null, source: 'ws', batchId: null } };
}

/** Three devices, four readings each in month `k` (seqs 100k + 0..3 of device d). */
function monthRows(k: number): ReadingRow[] {
  const rows: ReadingRow[] = [];
  for (let d = 1; d <= 3; d++) {
    for (let i = 0; i < 4; i++) {
      rows.push({ deviceId: d, seq: 100 * (k + 20) + i, at: m(k) + (i + 1) * DAY + d * 60_000, metricId: 5, value: 60 + i + d / 4, gatewayId: 1, score: i === 0 ? null : 0.5 });
    }
  }
  return rows;
}

const MONTHS = [-10, -8, -6, -3, -1, 0];

async function partOf(k: number): Promise<string[]> {
  const res = await sql<{ part: string }>`
    SELECT DISTINCT tableoid::regclass::text AS part FROM readings WHERE at >= ${new Date(m(k))} AND at < ${new Date(m(k + 1))}`.execute(tdb.db);
  return res.rows.map((r) => r.part);
}

const count = async (q: ReturnType<typeof sql<{ n: number }>>) => (await q.execute(tdb.db)).rows[0]!.n;

describe('partition maintenance', () => {
  beforeAll(async () => {
    for (const k of MONTHS) {
      const [r] = (await writeGroup(tdb.db, [batch(monthRows(k))])).results;
      expect(r!.inserted).toBe(12);
    }
  });

  it('leaves a month with more rows in DEFAULT than it moves unasked, and says so', async () => {
    // The migration ran on an empty database: this month and three ahead only.
    expect(await partOf(-8)).toEqual(['readings_default']);
    const plan = await planMaintenance(tdb.db, options({ maxMoveRows: 11 }));
    expect(plan.leftInDefault.map((x) => [x.name, x.rowsFromDefault])).toEqual([-10, -8, -6, -3, -1].map((k) => [partitionName(m(k)), 12]));
    expect(plan.create).toEqual([]);
    const report = await runMaintenance(tdb.db, options({ maxMoveRows: 11 }));
    expect([report!.created, report!.leftInDefault.length, await partOf(-8)]).toEqual([[], 5, ['readings_default']]);
  });

  it('gives the months that fell into DEFAULT partitions of their own, fills the months between, and makes months ahead', async () => {
    const report = await runMaintenance(tdb.db, options({ aheadMonths: 5 }));
    expect(report!.failures).toEqual([]);
    expect(report!.created).toEqual([...[-10, -9, -8, -7, -6, -5, -4, -3, -2, -1, 4, 5].map((k) => partitionName(m(k)))]);
    expect(report!.movedFromDefault).toBe(60);
    expect(report!.leftInDefault).toEqual([]);
    for (const k of MONTHS) expect(await partOf(k)).toEqual([partitionName(m(k))]);
    expect(await count(sql<{ n: number }>`SELECT count(*)::int AS n FROM readings_default`)).toBe(0);
    // A second run has nothing to do.
    expect((await runMaintenance(tdb.db, options({ aheadMonths: 5 })))!.created).toEqual([]);
  });

  it('refuses a retention shorter than the anomaly engine needs', async () => {
    await expect(planMaintenance(tdb.db, options({ retentionMonths: 2 }))).rejects.toThrow(/at least 3 months must be kept/);
    await expect(planMaintenance(tdb.db, options({ retentionMonths: 4, snapshotEveryDays: 61 }))).rejects.toThrow(/at least 5 months/);
  });

  it('keeps the months a pending engine replay still reads', async () => {
    // Device 1 has a late reading in month -6 waiting for its replay, and no snapshot before it:
    // it replays from its first reading, so nothing of it may go.
    await sql`INSERT INTO engine_pending (device_id, at, seq) VALUES (1, ${new Date(m(-6) + 2 * DAY)}, 1)`.execute(tdb.db);
    let plan = await planMaintenance(tdb.db, options({ retentionMonths: 3 }));
    expect(plan.detach.map((p) => p.name)).toEqual([]);
    expect(plan.postponed).toEqual({ names: [-10, -9, -8, -7, -6, -5, -4].map((k) => partitionName(m(k))), reason: 'device 1 has late readings waiting for a replay from its first reading' });
    // With a snapshot in month -8, months before it may go.
    const state = JSON.stringify({ engine: { version: STATE_VERSION } });
    await sql`INSERT INTO engine_snapshots (device_id, at, seq, state) VALUES (1, ${new Date(m(-8) + 3 * DAY)}, 0, ${state}::jsonb)`.execute(tdb.db);
    plan = await planMaintenance(tdb.db, options({ retentionMonths: 3 }));
    expect(plan.detach.map((p) => p.name)).toEqual([-10, -9].map((k) => partitionName(m(k))));
    expect(plan.postponed!.names).toEqual([-8, -7, -6, -5, -4].map((k) => partitionName(m(k))));
    await sql`DELETE FROM engine_pending`.execute(tdb.db);
    await sql`DELETE FROM engine_snapshots`.execute(tdb.db);
  });

  it('detaches, archives and drops the months wholly past the retention, and leaves the rest', async () => {
    const report = await runMaintenance(tdb.db, options({ retentionMonths: 3 }));
    expect(report!.failures).toEqual([]);
    // Months -10 to -4 end before the first of month -3; month -3 is kept whole. The empty
    // months between are dropped without a file.
    expect(report!.archived.map((a) => [a.name, a.rows, a.file === null])).toEqual(
      [-10, -9, -8, -7, -6, -5, -4].map((k) => [partitionName(m(k)), [-10, -8, -6].includes(k) ? 12 : 0, ![-10, -8, -6].includes(k)]));
    const gone = [-10, -8, -6].map((k) => partitionName(m(k)));
    expect(fs.readdirSync(archiveDir).filter((f) => f.endsWith('.csv.gz')).map((f) => f.split('.')[0]).sort()).toEqual(gone);
    const names = (await readingPartitions(tdb.db)).map((p) => p.name);
    for (const k of [-10, -9, -8, -7, -6, -5, -4]) expect(names).not.toContain(partitionName(m(k)));
    for (const k of [-3, -1, 0]) expect(names).toContain(partitionName(m(k)));
    expect(await detachedMonths(tdb.db)).toEqual([]);
    expect(await count(sql<{ n: number }>`SELECT count(*)::int AS n FROM readings`)).toBe(36);
    expect(await count(sql<{ n: number }>`SELECT count(*)::int AS n FROM readings WHERE at < ${new Date(m(-3))}`)).toBe(0);
    // Their keys are forgotten, the others' kept.
    expect(await count(sql<{ n: number }>`SELECT count(*)::int AS n FROM reading_keys`)).toBe(36);
    expect(await count(sql<{ n: number }>`SELECT count(*)::int AS n FROM reading_keys WHERE at < ${new Date(m(-3))}`)).toBe(0);

    // Each file holds its month, exactly, with a manifest beside it.
    for (const a of report!.archived.filter((x) => x.file !== null)) {
      const k = [-10, -8, -6][gone.indexOf(a.name)]!;
      const manifest = JSON.parse(fs.readFileSync(a.file!.replace(/\.csv\.gz$/, '.json'), 'utf8')) as { rows: number; from: string; to: string; sha256: string };
      expect([manifest.rows, manifest.from, manifest.to]).toEqual([12, new Date(m(k)).toISOString(), new Date(m(k + 1)).toISOString()]);
      const lines = gunzipSync(fs.readFileSync(a.file!)).toString('utf8').trimEnd().split('\n');
      expect(lines[0]).toBe('device_id,seq,at,metric,value,gateway_id,received_at,score');
      const expected = monthRows(k).map((r) => [r.deviceId, r.seq, new Date(r.at).toISOString().replace('Z', '000Z'), r.metricId, r.value, r.gatewayId]);
      expect(lines.slice(1).map((l) => l.split(',').slice(0, 6).map((v, i) => (i === 2 ? v : Number(v))))).toEqual(expected);
      expect(lines.slice(1).map((l) => l.split(',')[7])).toEqual(monthRows(k).map((r) => (r.score === null ? '' : String(r.score))));
    }
  });

  it('finishes a month a run detached but stopped before archiving', async () => {
    // Month -3 detached as by a run that stopped there (a crash, a shutdown).
    await detachMonth(tdb.db, partitionName(m(-3)), 2000);
    expect((await detachedMonths(tdb.db)).map((t) => t.name)).toEqual([partitionName(m(-3))]);
    const plan = await planMaintenance(tdb.db, options());
    expect(plan.unfinished.map((t) => t.name)).toEqual([partitionName(m(-3))]);
    // Even with retention off, what was detached is archived and dropped.
    const report = await runMaintenance(tdb.db, options());
    expect(report!.archived.map((a) => [a.name, a.rows])).toEqual([[partitionName(m(-3)), 12]]);
    expect(await detachedMonths(tdb.db)).toEqual([]);
    expect(await count(sql<{ n: number }>`SELECT count(*)::int AS n FROM reading_keys`)).toBe(24);
  });

  it('deletes quarantine rows past their retention in chunks, and keeps the rest', async () => {
    await sql`
      INSERT INTO quarantine (received_at, source, code, message, raw)
      SELECT now() - interval '40 days' - i * interval '1 second', 'ws', 'out_of_range', 'old', '{}'::jsonb FROM generate_series(1, 12000) i`.execute(tdb.db);
    await sql`
      INSERT INTO quarantine (received_at, source, code, message, raw)
      SELECT now() - interval '29 days', 'ws', 'out_of_range', 'recent', '{}'::jsonb FROM generate_series(1, 10)`.execute(tdb.db);
    const plan = await planMaintenance(tdb.db, options({ quarantineRetentionDays: 30 }));
    expect(plan.quarantine!.rows).toBe(12000);
    const lines: string[] = [];
    const report = await runMaintenance(tdb.db, options({ quarantineRetentionDays: 30, progress: (l) => lines.push(l) }));
    expect(report!.quarantineDeleted).toBe(12000);
    // 5,000 at a time.
    expect(lines.filter((l) => l.startsWith('quarantine:')).length).toBe(3);
    const left = await sql<{ message: string; n: number }>`SELECT message, count(*)::int AS n FROM quarantine GROUP BY message`.execute(tdb.db);
    expect(left.rows).toEqual([{ message: 'recent', n: 10 }]);
  });

  it('runs in one process at a time', async () => {
    await tdb.db.connection().execute(async (conn) => {
      await sql`SELECT pg_advisory_lock(7226638)`.execute(conn);
      try {
        expect(await runMaintenance(tdb.db, options())).toBeNull();
      } finally {
        await sql`SELECT pg_advisory_unlock(7226638)`.execute(conn);
      }
    });
    expect(await runMaintenance(tdb.db, options())).not.toBeNull();
  });

  it('is run by the service at start: months ahead are made', async () => {
    const svc = await startService(tdb.db, tdb.url, { READINGS_PARTITIONS_AHEAD: '8' });
    try {
      const want = partitionName(m(8));
      for (let i = 0; i < 200 && !(await readingPartitions(tdb.db)).some((p) => p.name === want); i++) await new Promise((r) => setTimeout(r, 50));
      expect((await readingPartitions(tdb.db)).map((p) => p.name)).toContain(want);
    } finally {
      await svc.close();
    }
  });
});
