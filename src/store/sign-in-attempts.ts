import { sql } from 'kysely';
import type { Db } from './db.ts';

// SQL of the sign-in limiter (src/auth/sign-in-limiter.ts): the sliding window of attempts
// per (kind, key) in sign_in_attempts, kept on the database's clock.

/**
 * Take one attempt's slot, or learn how long until one is free. One statement: the row
 * lock of the upsert orders concurrent attempts on a key, and each sees the slots taken
 * by those before it, on this instance or another.
 */
export async function reserveAttempt(
  db: Db, kind: string, key: string, max: number, windowMs: number,
): Promise<{ allowed: boolean; retry_after_ms: number; token: string }> {
  const window = sql`(${windowMs}::int * interval '1 millisecond')`;
  // The database's clock, not this process's: instances may disagree on the time.
  const kept = sql`ARRAY(SELECT t FROM unnest(a.times) AS t WHERE t > statement_timestamp() - ${window} ORDER BY t)`;
  const { rows } = await sql<{ allowed: boolean; retry_after_ms: number; token: string }>`
    INSERT INTO sign_in_attempts AS a (kind, key, times, last_allowed, updated_at)
    VALUES (${kind}, ${key}, ARRAY[statement_timestamp()], true, statement_timestamp())
    ON CONFLICT (kind, key) DO UPDATE SET
      last_allowed = cardinality(${kept}) < ${max}::int,
      times = CASE WHEN cardinality(${kept}) < ${max}::int THEN ${kept} || statement_timestamp() ELSE ${kept} END,
      updated_at = statement_timestamp()
    RETURNING
      a.last_allowed AS allowed,
      CASE WHEN a.last_allowed THEN 0
        -- Allowed again once enough attempts have left the window.
        ELSE greatest(1, ceil(extract(epoch FROM a.times[cardinality(a.times) - ${max}::int + 1] + ${window} - statement_timestamp()) * 1000))::int
      END AS retry_after_ms,
      statement_timestamp()::text AS token`.execute(db);
  return rows[0]!;
}

/** Give back the slot reserved at `token` (the time reserveAttempt returned). */
export async function releaseAttempt(db: Db, kind: string, key: string, token: string): Promise<void> {
  const t = sql`${token}::timestamptz`;
  // The first equal timestamp only: two attempts reserved in the same microsecond are two slots.
  await sql`
    UPDATE sign_in_attempts
    SET times = times[:array_position(times, ${t}) - 1] || times[array_position(times, ${t}) + 1:]
    WHERE kind = ${kind} AND key = ${key} AND ${t} = ANY(times)`.execute(db);
}

export async function clearAttempts(db: Db, kind: string, key: string): Promise<void> {
  await sql`DELETE FROM sign_in_attempts WHERE kind = ${kind} AND key = ${key}`.execute(db);
}

/** Delete rows whose every attempt is older than `longestMs`; a bounded batch per call. Returns how many. */
export async function sweepAttempts(db: Db, longestMs: number): Promise<number> {
  const r = await sql`
    DELETE FROM sign_in_attempts WHERE ctid = ANY(ARRAY(
      SELECT ctid FROM sign_in_attempts
      WHERE updated_at < statement_timestamp() - (${longestMs}::int * interval '1 millisecond')
      LIMIT 1000))`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}
