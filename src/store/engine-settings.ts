import { sql } from 'kysely';
import type { Db } from './db.ts';

// Engine settings overridden per site and per patient (engine_settings).

type Executor = Pick<Db, 'executeQuery' | 'getExecutor'>;

/** One version of an override: in force from `from` (epoch ms; -Infinity for always), null when removed. */
export interface SettingsVersion {
  readonly from: number;
  readonly settings: unknown;
}

export interface SettingsSnapshot {
  readonly sites: ReadonlyMap<number, unknown>;
  /** Patient overrides, by the devices enrolled to the patient. */
  readonly devices: ReadonlyMap<number, unknown>;
  /**
   * Every version of each override, oldest first (site's by site, patient's by device), when
   * there is more than one or the only one does not apply to all history.
   */
  readonly siteVersions: ReadonlyMap<number, readonly SettingsVersion[]>;
  readonly deviceVersions: ReadonlyMap<number, readonly SettingsVersion[]>;
  /** Equal for equal contents: tells a reload that changed nothing. */
  readonly signature: string;
}

export const NO_SETTINGS: SettingsSnapshot = { sites: new Map(), devices: new Map(), siteVersions: new Map(), deviceVersions: new Map(), signature: '[]' };

export async function loadEngineSettings(db: Executor): Promise<SettingsSnapshot> {
  const res = await sql<{ site_id: number | null; device_id: number | null; settings: unknown }>`
    SELECT site_id, NULL::int AS device_id, settings FROM engine_settings WHERE site_id IS NOT NULL
    UNION ALL
    SELECT NULL, e.device_id, s.settings FROM engine_settings s JOIN enrolments e ON e.patient_id = s.patient_id
    ORDER BY 1, 2`.execute(db);
  const sites = new Map<number, unknown>();
  const devices = new Map<number, unknown>();
  for (const r of res.rows) {
    if (r.site_id !== null) sites.set(r.site_id, r.settings);
    else if (r.device_id !== null) devices.set(r.device_id, r.settings);
  }
  const hist = await sql<{ site_id: number | null; device_id: number | null; from_ms: number | null; settings: unknown }>`
    SELECT h.site_id, NULL::int AS device_id, CASE WHEN h.effective_from = '-infinity' THEN NULL ELSE extract(epoch FROM h.effective_from) * 1000 END AS from_ms, h.settings, h.id
    FROM engine_settings_history h WHERE h.site_id IS NOT NULL
    UNION ALL
    SELECT NULL, e.device_id, CASE WHEN h.effective_from = '-infinity' THEN NULL ELSE extract(epoch FROM h.effective_from) * 1000 END, h.settings, h.id
    FROM engine_settings_history h JOIN enrolments e ON e.patient_id = h.patient_id
    ORDER BY 1, 2, 3 NULLS FIRST, 5`.execute(db);
  const siteVersions = new Map<number, SettingsVersion[]>();
  const deviceVersions = new Map<number, SettingsVersion[]>();
  for (const r of hist.rows) {
    const [map, key] = r.site_id !== null ? [siteVersions, r.site_id] : [deviceVersions, r.device_id!];
    let list = map.get(key);
    if (!list) map.set(key, (list = []));
    list.push({ from: r.from_ms === null ? -Infinity : Number(r.from_ms), settings: r.settings });
  }
  // A single version in force since always says nothing the current override does not.
  for (const map of [siteVersions, deviceVersions]) {
    for (const [k, list] of map) if (list.length === 1 && list[0]!.from === -Infinity) map.delete(k);
  }
  return { sites, devices, siteVersions, deviceVersions, signature: JSON.stringify([res.rows, hist.rows]) };
}

/** The override in force at `at` of a scope's versions (undefined before the first, or when removed). */
export function versionAt(versions: readonly SettingsVersion[], at: number): { index: number; settings: unknown } {
  let i = versions.length - 1;
  while (i >= 0 && versions[i]!.from > at) i--;
  return { index: i, settings: i >= 0 ? (versions[i]!.settings ?? undefined) : undefined };
}

export type Scope = { readonly siteId: number } | { readonly patientId: number };

const where = (s: Scope) => ('siteId' in s ? sql`site_id = ${s.siteId}` : sql`patient_id = ${s.patientId}`);

export async function getEngineSettings(db: Executor, scope: Scope): Promise<unknown> {
  const res = await sql<{ settings: unknown }>`SELECT settings FROM engine_settings WHERE ${where(scope)}`.execute(db);
  return res.rows[0]?.settings ?? null;
}

/** Store the scope's override, in force from now; its versions keep the ones before. */
export async function putEngineSettings(db: Db, scope: Scope, settings: unknown, by: number): Promise<void> {
  const json = JSON.stringify(settings);
  const siteId = 'siteId' in scope ? scope.siteId : null;
  const patientId = 'patientId' in scope ? scope.patientId : null;
  await db.transaction().execute(async (trx) => {
    const updated = await sql`
      UPDATE engine_settings SET settings = ${json}::jsonb, updated_at = now(), updated_by = ${by} WHERE ${where(scope)}`.execute(trx);
    if (Number(updated.numAffectedRows ?? 0) === 0) {
      await sql`INSERT INTO engine_settings (site_id, patient_id, settings, updated_by) VALUES (${siteId}, ${patientId}, ${json}::jsonb, ${by})`.execute(trx);
    }
    await sql`INSERT INTO engine_settings_history (site_id, patient_id, settings, recorded_by) VALUES (${siteId}, ${patientId}, ${json}::jsonb, ${by})`.execute(trx);
  });
}

/** Remove the scope's override from now on; false when there is none. */
export async function deleteEngineSettings(db: Db, scope: Scope, by: number | null = null): Promise<boolean> {
  const siteId = 'siteId' in scope ? scope.siteId : null;
  const patientId = 'patientId' in scope ? scope.patientId : null;
  return db.transaction().execute(async (trx) => {
    const res = await sql`DELETE FROM engine_settings WHERE ${where(scope)}`.execute(trx);
    if (Number(res.numAffectedRows ?? 0) === 0) return false;
    await sql`INSERT INTO engine_settings_history (site_id, patient_id, settings, recorded_by) VALUES (${siteId}, ${patientId}, NULL, ${by})`.execute(trx);
    return true;
  });
}
