import { sql } from 'kysely';
import type { Db } from './db.ts';

// Engine settings overridden per site and per patient (engine_settings).

type Executor = Pick<Db, 'executeQuery' | 'getExecutor'>;

export interface SettingsSnapshot {
  readonly sites: ReadonlyMap<number, unknown>;
  /** Patient overrides, by the devices enrolled to the patient. */
  readonly devices: ReadonlyMap<number, unknown>;
  /** Equal for equal contents: tells a reload that changed nothing. */
  readonly signature: string;
}

export const NO_SETTINGS: SettingsSnapshot = { sites: new Map(), devices: new Map(), signature: '[]' };

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
  return { sites, devices, signature: JSON.stringify(res.rows) };
}

export type Scope = { readonly siteId: number } | { readonly patientId: number };

const where = (s: Scope) => ('siteId' in s ? sql`site_id = ${s.siteId}` : sql`patient_id = ${s.patientId}`);

export async function getEngineSettings(db: Executor, scope: Scope): Promise<unknown> {
  const res = await sql<{ settings: unknown }>`SELECT settings FROM engine_settings WHERE ${where(scope)}`.execute(db);
  return res.rows[0]?.settings ?? null;
}

export async function putEngineSettings(db: Executor, scope: Scope, settings: unknown, by: number): Promise<void> {
  const json = JSON.stringify(settings);
  const siteId = 'siteId' in scope ? scope.siteId : null;
  const patientId = 'patientId' in scope ? scope.patientId : null;
  const updated = await sql`
    UPDATE engine_settings SET settings = ${json}::jsonb, updated_at = now(), updated_by = ${by} WHERE ${where(scope)}`.execute(db);
  if (Number(updated.numAffectedRows ?? 0) === 0) {
    await sql`INSERT INTO engine_settings (site_id, patient_id, settings, updated_by) VALUES (${siteId}, ${patientId}, ${json}::jsonb, ${by})`.execute(db);
  }
}

export async function deleteEngineSettings(db: Executor, scope: Scope): Promise<boolean> {
  const res = await sql`DELETE FROM engine_settings WHERE ${where(scope)}`.execute(db);
  return Number(res.numAffectedRows ?? 0) > 0;
}
