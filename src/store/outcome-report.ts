import { sql } from 'kysely';
import type { Db } from './db.ts';

// SQL of the outcome report: a site's alerts raised in a period, counted by kind, whether
// resolved, and outcome (the index on site and raised_at).

type Executor = Pick<Db, 'executeQuery' | 'getExecutor'>;

/** Alerts of one kind, resolved or not, with one outcome (or none). */
export interface OutcomeGroup {
  readonly kind: string;
  readonly resolved: boolean;
  readonly outcome: string | null;
  readonly count: number;
}

const ts = (ms: number) => sql`to_timestamp(${ms}::float8 / 1000)`;

/** Alerts raised in [from, to) at these sites (every site when null), in groups. */
export async function outcomeCounts(db: Executor, siteIds: readonly number[] | null, from: number | null, to: number | null): Promise<OutcomeGroup[]> {
  const where = [sql`true`];
  if (siteIds) where.push(sql`a.site_id = ANY(${siteIds}::int4[])`);
  if (from !== null) where.push(sql`a.raised_at >= ${ts(from)}`);
  if (to !== null) where.push(sql`a.raised_at < ${ts(to)}`);
  const res = await sql<OutcomeGroup>`
    SELECT a.kind, a.status = 'resolved' AS resolved, a.outcome, count(*)::int AS count
    FROM alerts a
    WHERE ${sql.join(where, sql` AND `)}
    GROUP BY 1, 2, 3`.execute(db);
  return res.rows;
}
