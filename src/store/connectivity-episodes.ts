import { sql } from 'kysely';
import type { Db } from './db.ts';

// Past silences of devices (connectivity_episodes, written with the engine's effects in
// engine-effects.ts), for the patient page.

type Executor = Pick<Db, 'executeQuery' | 'getExecutor'>;

export interface StoredSilence {
  readonly serial: string;
  readonly from_at: Date;
  readonly to_at: Date;
  readonly limit_hours: number;
  /** A connectivity_loss alert was raised for it while it lasted (its trigger is the last reading before it). */
  readonly alerted: boolean;
}

/** The devices' past silences, newest first, at most `limit`. */
export async function silencesOf(db: Executor, deviceIds: readonly number[], limit: number): Promise<StoredSilence[]> {
  if (deviceIds.length === 0) return [];
  const res = await sql<StoredSilence>`
    SELECT d.serial, c.from_at, c.to_at, c.limit_hours,
           EXISTS (SELECT 1 FROM alert_triggers t
                   WHERE t.device_id = c.device_id AND t.kind = 'connectivity_loss' AND t.seq = c.from_seq) AS alerted
    FROM connectivity_episodes c JOIN devices d ON d.id = c.device_id
    WHERE c.device_id = ANY(${deviceIds}::int4[])
    ORDER BY c.to_at DESC, c.device_id LIMIT ${limit}`.execute(db);
  return res.rows;
}
