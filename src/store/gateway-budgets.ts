import { sql } from 'kysely';
import type { Db } from './db.ts';

// SQL of the shared gateway reading budget (src/ingest/gateway-budget.ts): a token bucket per
// gateway in gateway_budgets, refilled on the database's clock, from which instances lease.

export interface Lease {
  /** Tokens taken from the shared bucket: 0 (refused) or between `atLeast` and `atMost`. */
  readonly granted: number;
  /** What the shared bucket held after its refill, before this lease took from it. */
  readonly available: number;
}

/**
 * Refill the gateway's bucket at `ratePerSec` up to `burst` and take between `atLeast` and
 * `atMost` tokens from it, or none when it holds fewer than `atLeast`. One statement: the row
 * lock orders concurrent leases, on this instance or another, and each sees what the ones
 * before it took. Null when the gateway has no bucket yet (see `createBudget`).
 */
export async function leaseTokens(
  db: Db, gatewayId: number, atLeast: number, atMost: number, ratePerSec: number, burst: number,
): Promise<Lease | null> {
  // clock_timestamp(), not this process's clock: instances may disagree on the time. Never
  // earlier than the last lease, which may have read the clock after this statement began.
  // The subquery's FOR UPDATE takes the row's latest version, so the old values it returns
  // are those this UPDATE replaces.
  const { rows } = await sql<Lease>`
    UPDATE gateway_budgets AS b
    SET tokens = s.available - s.granted, updated_at = s.at
    FROM (
      SELECT o.gateway_id, r.at, r.available,
        CASE WHEN r.available >= ${atLeast}::float8 THEN least(r.available, ${atMost}::float8) ELSE 0 END AS granted
      FROM (SELECT gateway_id, tokens, updated_at FROM gateway_budgets WHERE gateway_id = ${gatewayId} FOR UPDATE) o,
        LATERAL (SELECT greatest(o.updated_at, clock_timestamp()) AS at) t,
        LATERAL (SELECT t.at, least(${burst}::float8,
          o.tokens + extract(epoch FROM t.at - o.updated_at)::float8 * ${ratePerSec}::float8) AS available) r
    ) s
    WHERE b.gateway_id = s.gateway_id
    RETURNING s.granted, s.available`.execute(db);
  return rows[0] ?? null;
}

/** A full bucket for the gateway, unless another instance made one first. */
export async function createBudget(db: Db, gatewayId: number, burst: number): Promise<void> {
  await db
    .insertInto('gateway_budgets')
    .values({ gateway_id: gatewayId, tokens: burst, updated_at: sql<Date>`clock_timestamp()` })
    .onConflict((oc) => oc.column('gateway_id').doNothing())
    .execute();
}
