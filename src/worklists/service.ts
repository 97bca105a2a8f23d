// The worklists' reads: devices overdue for a transmission, held to the silence limit the
// connectivity check uses; and open alerts by assignee. Patients' names opened for display.
import { DEFAULT_CONFIG, readCadence, silenceLimit, type SilenceLimit } from '../engine/index.ts';
import { HARD_LIMITS } from '../engine/limits.ts';
import type { Vault } from '../crypto/vault.ts';
import type { Db } from '../store/db.ts';
import { snapshotCadences } from '../store/engine-history.ts';
import { quietDevices, sealedNames, type QuietDevice } from '../store/worklists.ts';
import type { SilenceSource } from '../scoring/cadences.ts';
import { FIELD } from '../patients/sealed.ts';
import { overdueRows, pastHours, type Overdue } from './overdue.ts';

const HOUR_MS = 3_600_000;
/** No configuration holds a device to less: devices heard since are not read at all. */
const LOWEST_FLOOR_HOURS = HARD_LIMITS['connectivity.silentHours']?.min ?? 24;

/** Without the scoring service (ENGINE_SCORING=off): the default configuration and the cadences of the snapshots. */
export function snapshotSilence(db: Db): SilenceSource {
  return {
    configOf: () => DEFAULT_CONFIG,
    async cadences(rows) {
      const snaps = await snapshotCadences(db, rows.map((r) => r.device_id));
      return new Map(rows.map((r) => [r.device_id, readCadence(snaps.get(r.device_id))]));
    },
  };
}

/**
 * The devices of the sites (null: every site) overdue for a transmission, most overdue first.
 * Each is held to its own configuration's floor, and past it to its silence limit (the floor
 * or a multiple of its configured or learnt cadence), as the connectivity check holds it.
 */
export async function overdueDevices(db: Db, source: SilenceSource, siteIds: readonly number[] | null, now: number): Promise<Array<Overdue<QuietDevice>>> {
  const rows = await quietDevices(db, siteIds, new Date(now - LOWEST_FLOOR_HOURS * HOUR_MS));
  const configs = new Map(rows.map((r) => [r.device_id, source.configOf(r.device_id, r.site_id)]));
  const pastFloor = rows.filter((r) => pastHours(r.received_at, configs.get(r.device_id)!.connectivity.silentHours, now));
  const cadences = await source.cadences(pastFloor);
  const limits = new Map<number, SilenceLimit>(pastFloor.map((r) => [r.device_id, silenceLimit(cadences.get(r.device_id), configs.get(r.device_id)!)]));
  const fallback: SilenceLimit = { hours: DEFAULT_CONFIG.connectivity.silentHours, expectedHours: null, source: 'floor' };
  return overdueRows(pastFloor, limits, fallback, now);
}

/** "Given Family" of each patient, by id (a name not sealed yet is left out). */
export async function patientNames(db: Db, vault: Vault, ids: Iterable<number>): Promise<Map<number, string>> {
  const rows = await sealedNames(db, [...new Set(ids)]);
  await vault.prepare(rows.flatMap((r) => [r.given_name_sealed, r.family_name_sealed]));
  const out = new Map<number, string>();
  for (const r of rows) {
    if (r.given_name_sealed === null || r.family_name_sealed === null) continue;
    out.set(r.id, `${vault.open(FIELD.givenName, r.given_name_sealed)} ${vault.open(FIELD.familyName, r.family_name_sealed)}`);
  }
  return out;
}
