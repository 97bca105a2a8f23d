// Partition maintenance of `readings` (docs/partitions.md): months ahead created, rows that
// fell into DEFAULT given a month of their own, months past the retention detached, archived
// to a file and dropped, and the quarantine's old rows deleted in chunks. Run by the service
// at start and daily, and by `npm run admin -- partitions …`.
import { retentionProblem } from '../config/retention.ts';
import type { Db } from '../store/db.ts';
import { pendingDevices, pendingOf, snapshotBefore } from '../store/engine-history.ts';
import {
  attachMonth, DEFAULT_PARTITION, deleteQuarantineChunk, detachedMonths, detachedRowCount, detachMonth, dropDetached, forgetArchivedKeys, monthOfName, monthsInDefault,
  partitionName, quarantineCountBefore, readingPartitions, vacuumAnalyze, withMaintenanceLock, type ArchivedTable, type PartitionRow,
} from '../store/partitions.ts';
import { writeArchive } from './archive.ts';
import { errorMessage } from '../util/error-message.ts';

export interface RetentionSettings {
  /** Months created ahead of the current one. */
  readonly aheadMonths: number;
  /** Whole months kept before the current one; 0 = keep everything. */
  readonly retentionMonths: number;
  /** Quarantine rows kept this many days; 0 = keep everything. */
  readonly quarantineRetentionDays: number;
  /** Where archived months are written. */
  readonly archiveDir: string;
}

export interface MaintenanceOptions extends RetentionSettings {
  /** Event days between two engine snapshots (ENGINE_SNAPSHOT_DAYS). */
  readonly snapshotEveryDays: number;
  /** Epoch ms; the wall clock unless a test says otherwise. */
  readonly now?: () => number;
  /** Longest wait for a lock on `readings` before giving up until the next run. */
  readonly lockTimeoutMs?: number;
  /** Progress lines (an admin command prints them). */
  readonly progress?: (line: string) => void;
  /** Stops a run between two chunks (shutdown); what is left is taken up by the next run. */
  readonly signal?: AbortSignal;
  /**
   * What to do: `create` (months ahead, and months for rows in DEFAULT), `retain` (detach,
   * archive and drop old months, finish months detached before, delete old quarantine
   * rows); both when unset.
   */
  readonly steps?: ReadonlyArray<'create' | 'retain'>;
  /**
   * A month with more rows than this waiting in DEFAULT is left there and reported: moving
   * rows locks `readings` whole for as long as it takes (src/store/partitions.ts), which
   * the service does not do on its own for more than a few seconds' worth.
   * `partitions create` moves any number. Default DEFAULT_MAX_MOVE_ROWS.
   */
  readonly maxMoveRows?: number;
}

/** Rows of one month the service moves out of DEFAULT by itself (about a second's work). */
export const DEFAULT_MAX_MOVE_ROWS = 50_000;

const DAY = 86_400_000;
const QUARANTINE_CHUNK = 5000;
const KEYS_CHUNK = 20_000;

/** The start (epoch ms) of the UTC month `n` months after the one holding `ms`. */
export function addMonths(ms: number, n: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1);
}

/** Thrown for a retention the engine cannot live with (loadConfig refuses it first). */
export class RetentionError extends Error {}

export interface MonthToCreate {
  readonly name: string;
  readonly from: Date;
  readonly to: Date;
  /** Rows waiting in DEFAULT that move into it. */
  readonly rowsFromDefault: number;
}

export interface MaintenancePlan {
  readonly now: Date;
  readonly create: MonthToCreate[];
  /** Months with more rows in DEFAULT than `maxMoveRows`: left there. */
  readonly leftInDefault: MonthToCreate[];
  /** Months wholly before the retention's cutoff, to detach, archive and drop. */
  readonly detach: PartitionRow[];
  /** Months detached by an earlier run and not finished (archived, dropped) yet. */
  readonly unfinished: ArchivedTable[];
  /** Months past the cutoff kept because a pending engine replay reads them; why. */
  readonly postponed: { names: string[]; reason: string } | null;
  /** Null when readings retention is off. */
  readonly cutoff: Date | null;
  /** Null when quarantine retention is off. */
  readonly quarantine: { before: Date; rows: number } | null;
}

/**
 * The earliest event time a pending engine replay will read from (epoch ms); -Infinity if
 * one replays a device from its first reading (no usable snapshot before its late reading);
 * null if no replay is pending.
 */
async function engineNeedsFrom(db: Db): Promise<{ from: number; deviceId: number } | null> {
  let need: { from: number; deviceId: number } | null = null;
  for (const id of await pendingDevices(db)) {
    const pending = await pendingOf(db, id);
    if (!pending) continue;
    const snap = await snapshotBefore(db, id, pending);
    const from = snap ? snap.at : -Infinity;
    if (!need || from < need.from) need = { from, deviceId: id };
  }
  return need;
}

export async function planMaintenance(db: Db, opts: MaintenanceOptions): Promise<MaintenancePlan> {
  const problem = retentionProblem(opts.retentionMonths, opts.snapshotEveryDays);
  if (problem !== null) throw new RetentionError(`READINGS_RETENTION_MONTHS: ${problem}`);
  const now = (opts.now ?? Date.now)();
  const partitions = await readingPartitions(db);
  const existing = new Set(partitions.map((p) => p.name));

  const create = new Map<string, MonthToCreate>();
  const leftInDefault: MonthToCreate[] = [];
  const maxMove = opts.maxMoveRows ?? DEFAULT_MAX_MOVE_ROWS;
  const month = (start: number, rows: number): MonthToCreate =>
    ({ name: partitionName(start), from: new Date(start), to: new Date(addMonths(start, 1)), rowsFromDefault: rows });
  if (existing.has(DEFAULT_PARTITION)) {
    for (const m of await monthsInDefault(db)) {
      if (m.rows > maxMove) leftInDefault.push(month(m.month, m.rows));
      else create.set(partitionName(m.month), month(m.month, m.rows));
    }
  }
  // Every month from the oldest one with a partition to `aheadMonths` ahead: a late reading
  // of a month in between then has its month, not DEFAULT.
  const starts = [...partitions.flatMap((p) => (p.from ? [p.from.getTime()] : [])), ...[...create.values()].map((m) => m.from.getTime())];
  const waiting = new Set(leftInDefault.map((m) => m.name));
  for (let start = Math.min(addMonths(now, 0), ...starts); start <= addMonths(now, opts.aheadMonths); start = addMonths(start, 1)) {
    const name = partitionName(start);
    if (!existing.has(name) && !create.has(name) && !waiting.has(name)) create.set(name, month(start, 0));
  }

  let cutoff: Date | null = null;
  let detach: PartitionRow[] = [];
  let postponed: MaintenancePlan['postponed'] = null;
  if (opts.retentionMonths > 0) {
    cutoff = new Date(addMonths(now, -opts.retentionMonths));
    const old = (to: Date | null) => to !== null && to.getTime() <= cutoff!.getTime();
    // Months still in DEFAULT past the cutoff get a partition first (above), and go the
    // same way as the others on the next run.
    detach = partitions.filter((p) => !p.isDefault && old(p.to));
    const need = detach.length > 0 ? await engineNeedsFrom(db) : null;
    if (need) {
      const kept = detach.filter((p) => p.to!.getTime() > need.from);
      if (kept.length > 0) {
        detach = detach.filter((p) => p.to!.getTime() <= need.from);
        postponed = {
          names: kept.map((p) => p.name),
          reason: need.from === -Infinity
            ? `device ${need.deviceId} has late readings waiting for a replay from its first reading`
            : `device ${need.deviceId} has late readings waiting for a replay from ${new Date(need.from).toISOString()}`,
        };
      }
    }
  }
  const unfinished = await detachedMonths(db);
  let quarantine: MaintenancePlan['quarantine'] = null;
  if (opts.quarantineRetentionDays > 0) {
    const before = new Date(now - opts.quarantineRetentionDays * DAY);
    quarantine = { before, rows: await quarantineCountBefore(db, before) };
  }
  return {
    now: new Date(now),
    create: [...create.values()].sort((a, b) => a.from.getTime() - b.from.getTime()),
    leftInDefault, detach, unfinished, postponed, cutoff, quarantine,
  };
}

export interface MaintenanceReport {
  readonly created: string[];
  /** Rows moved out of DEFAULT into the months created. */
  readonly movedFromDefault: number;
  /** Months left in DEFAULT, too many rows to move unasked (`partitions create` moves them). */
  readonly leftInDefault: Array<{ name: string; rows: number }>;
  /** `file` is null for a month that was empty (dropped without one). */
  readonly archived: Array<{ name: string; rows: number; file: string | null }>;
  readonly postponed: MaintenancePlan['postponed'];
  readonly quarantineDeleted: number;
  /** Steps that failed (a lock not granted in time, say); the next run tries again. */
  readonly failures: string[];
}

/**
 * One maintenance run, by one instance at a time (null: another instance holds the run).
 * Each step is independent: one failing (a lock not granted in time) is reported and the
 * others still run.
 */
export async function runMaintenance(db: Db, opts: MaintenanceOptions): Promise<MaintenanceReport | null> {
  return withMaintenanceLock(db, async () => {
    const say = opts.progress ?? (() => {});
    const lockTimeoutMs = opts.lockTimeoutMs ?? 2000;
    const plan = await planMaintenance(db, opts);
    const steps = new Set(opts.steps ?? ['create', 'retain']);
    const retain = steps.has('retain');
    const failures: string[] = [];
    const created: string[] = [];
    let moved = 0;
    for (const m of steps.has('create') ? plan.create : []) {
      try {
        const r = await attachMonth(db, m.from.getTime(), m.to.getTime(), lockTimeoutMs, m.rowsFromDefault > 0);
        if (r.created) created.push(m.name);
        moved += r.moved;
        say(`created ${m.name} [${m.from.toISOString()}, ${m.to.toISOString()})${r.moved > 0 ? `, ${r.moved} rows moved in from readings_default` : ''}`);
      } catch (err) {
        failures.push(`create ${m.name}: ${errorMessage(err)}`);
      }
    }
    const filled = created.filter((name) => plan.create.some((m) => m.name === name && m.rowsFromDefault > 0));
    if (moved > 0) {
      try {
        await vacuumAnalyze(db, [...filled, DEFAULT_PARTITION]);
      } catch (err) {
        failures.push(`vacuum: ${errorMessage(err)}`);
      }
    }
    for (const p of retain ? plan.detach : []) {
      try {
        await detachMonth(db, p.name, lockTimeoutMs);
        say(`detached ${p.name} into the archive schema`);
      } catch (err) {
        failures.push(`detach ${p.name}: ${errorMessage(err)}`);
      }
    }
    if (retain && plan.postponed) say(`kept ${plan.postponed.names.join(', ')}: ${plan.postponed.reason}`);
    const archived: MaintenanceReport['archived'] = [];
    for (const t of retain ? await detachedMonths(db) : []) {
      opts.signal?.throwIfAborted();
      try {
        archived.push(await archiveAndDrop(db, t.name, opts, say));
      } catch (err) {
        failures.push(`archive ${t.name}: ${errorMessage(err)}`);
      }
    }
    let quarantineDeleted = 0;
    if (retain && plan.quarantine) {
      try {
        for (;;) {
          opts.signal?.throwIfAborted();
          const n = await deleteQuarantineChunk(db, plan.quarantine.before, QUARANTINE_CHUNK);
          quarantineDeleted += n;
          if (n > 0) say(`quarantine: ${quarantineDeleted} rows received before ${plan.quarantine.before.toISOString()} deleted`);
          if (n < QUARANTINE_CHUNK) break;
        }
      } catch (err) {
        failures.push(`quarantine retention: ${errorMessage(err)}`);
      }
    }
    const leftInDefault = steps.has('create') ? plan.leftInDefault.map((m) => ({ name: m.name, rows: m.rowsFromDefault })) : [];
    return { created, movedFromDefault: moved, leftInDefault, archived, postponed: retain ? plan.postponed : null, quarantineDeleted, failures };
  });
}

/** Archive a detached month to a file, forget its keys, drop it. */
async function archiveAndDrop(
  db: Db, name: string, opts: MaintenanceOptions, say: (line: string) => void,
): Promise<{ name: string; rows: number; file: string | null }> {
  if (monthOfName(name) === null) throw new Error(`"${name}" is not a month partition`);
  if ((await detachedRowCount(db, name)) === 0) {
    await dropDetached(db, name);
    say(`${name}: empty, dropped without an archive file`);
    return { name, rows: 0, file: null };
  }
  let shown = 0;
  const file = await writeArchive(db, name, opts.archiveDir, new Date((opts.now ?? Date.now)()), (rows) => {
    opts.signal?.throwIfAborted();
    if (rows - shown >= 100_000) {
      shown = rows;
      say(`${name}: ${rows} rows archived`);
    }
  });
  say(`${name}: ${file.rows} rows archived to ${file.file} (${file.bytes} bytes, sha256 ${file.sha256})`);
  // The keys go after the file is safe: until then a resend of one of these readings is
  // reported seq_conflict (its key is stored, its reading is not visible), never stored twice.
  let deleted = 0;
  let after = -1;
  for (;;) {
    opts.signal?.throwIfAborted();
    const r = await forgetArchivedKeys(db, name, after, KEYS_CHUNK);
    if (r.lastDevice === null) break;
    deleted += r.deleted;
    after = r.lastDevice;
  }
  say(`${name}: ${deleted} reading keys forgotten`);
  await dropDetached(db, name);
  say(`${name}: dropped`);
  return { name, rows: file.rows, file: file.file };
}
