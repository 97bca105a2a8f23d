import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/index.ts';
import { ENGINE_SNAPSHOT_KEEP_DAYS, minRetentionMonths } from '../../../src/config/retention.ts';
import { SNAPSHOT_DEFAULTS } from '../../../src/scoring/snapshots.ts';

describe('partition and retention settings', () => {
  it('default to 3 months ahead, no retention of readings or quarantine, archives under ./data/archive', () => {
    const p = loadConfig({}).partitions;
    expect({ ...p, archiveDir: p.archiveDir.endsWith('/data/archive') }).toEqual({
      aheadMonths: 3, retentionMonths: 0, archiveDir: true, quarantineRetentionDays: 0,
    });
  });

  it('read READINGS_PARTITIONS_AHEAD, READINGS_RETENTION_MONTHS, READINGS_ARCHIVE_DIR and QUARANTINE_RETENTION_DAYS', () => {
    const p = loadConfig({ READINGS_PARTITIONS_AHEAD: '6', READINGS_RETENTION_MONTHS: '24', READINGS_ARCHIVE_DIR: '/srv/archive', QUARANTINE_RETENTION_DAYS: '90' }).partitions;
    expect(p).toEqual({ aheadMonths: 6, retentionMonths: 24, archiveDir: '/srv/archive', quarantineRetentionDays: 90 });
  });

  it('refuse a readings retention shorter than the engine replays need, saying how long is enough', () => {
    expect(() => loadConfig({ READINGS_RETENTION_MONTHS: '2' })).toThrow(ConfigError);
    expect(() => loadConfig({ READINGS_RETENTION_MONTHS: '2' })).toThrow(/READINGS_RETENTION_MONTHS: 2 months is shorter than the anomaly engine needs.*at least 3 months/);
    expect(loadConfig({ READINGS_RETENTION_MONTHS: '3' }).partitions.retentionMonths).toBe(3);
    // Snapshots further apart reach further back.
    expect(() => loadConfig({ READINGS_RETENTION_MONTHS: '3', ENGINE_SNAPSHOT_DAYS: '30' })).toThrow(/at least 4 months/);
    expect(() => loadConfig({ READINGS_PARTITIONS_AHEAD: '0' })).toThrow(/READINGS_PARTITIONS_AHEAD/);
  });

  it('need enough whole months to cover the snapshots kept, February included', () => {
    // 60 days of snapshots and 7 between two: 67 days; January and February are 59.
    expect(minRetentionMonths(7)).toBe(3);
    expect(minRetentionMonths(1)).toBe(3);
    expect(ENGINE_SNAPSHOT_KEEP_DAYS).toBe(SNAPSHOT_DEFAULTS.snapshotKeepDays);
    expect(minRetentionMonths(29)).toBe(3); // 89 days: December to February
    expect(minRetentionMonths(30)).toBe(4);
  });
});
