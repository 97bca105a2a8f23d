// How short the retention of readings may be (READINGS_RETENTION_MONTHS) without taking
// readings the anomaly engine still reads (docs/partitions.md, "Retention").

/**
 * Snapshots this many event days older than a device's newest are deleted: the value of
 * SNAPSHOT_DEFAULTS.snapshotKeepDays in src/scoring/snapshots.ts (a unit test keeps the
 * two equal).
 */
export const ENGINE_SNAPSHOT_KEEP_DAYS = 60;
/** Never fewer months than this, whatever the engine's settings. */
const FLOOR_MONTHS = 2;
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * The shortest READINGS_RETENTION_MONTHS the engine can live with. A late reading replays
 * its device from the newest snapshot before it; snapshots reach back
 * ENGINE_SNAPSHOT_KEEP_DAYS event days before the newest one, which is itself up to
 * ENGINE_SNAPSHOT_DAYS old, and the readings after the snapshot must still be stored. A
 * retention of N months keeps at least the N whole months before the current one, and N
 * months in a row can be as short as the run that holds February: N is the least whose
 * shortest run of months covers the span.
 */
export function minRetentionMonths(snapshotEveryDays: number): number {
  const days = ENGINE_SNAPSHOT_KEEP_DAYS + snapshotEveryDays;
  for (let n = FLOOR_MONTHS; ; n++) {
    let shortest = Infinity;
    for (let start = 0; start < 12; start++) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += MONTH_DAYS[(start + i) % 12]!;
      shortest = Math.min(shortest, sum);
    }
    if (shortest >= days) return n;
  }
}

/** Why a retention is too short; null if it is off or long enough. */
export function retentionProblem(retentionMonths: number, snapshotEveryDays: number): string | null {
  if (retentionMonths === 0) return null;
  const min = minRetentionMonths(snapshotEveryDays);
  if (retentionMonths >= min) return null;
  return `${retentionMonths} month${retentionMonths === 1 ? '' : 's'} is shorter than the anomaly engine needs: a late reading replays its device from a snapshot ` +
    `up to ${ENGINE_SNAPSHOT_KEEP_DAYS + snapshotEveryDays} event days old (${ENGINE_SNAPSHOT_KEEP_DAYS} days of snapshots kept, ` +
    `ENGINE_SNAPSHOT_DAYS=${snapshotEveryDays} between two), so at least ${min} months must be kept; set ${min} or more, or 0 to keep everything`;
}
