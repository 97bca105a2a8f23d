// `--statements`: where PostgreSQL's time went, statement by statement, from
// pg_stat_statements (planning tracked too). The embedded server is started with the module
// preloaded; a DATABASE_URL server must preload it itself, or the report says it cannot.
import pg from 'pg';
import { errorMessage } from '../../src/util/error-message.ts';

/** Server settings the report needs (the embedded server is started with them). */
export const STATEMENT_SETTINGS: Readonly<Record<string, string>> = {
  shared_preload_libraries: 'pg_stat_statements',
  'pg_stat_statements.track_planning': 'on',
  'pg_stat_statements.max': '1000',
};

/** Clears the statistics: the report then covers the timed phases only. */
export async function resetStatements(url: string): Promise<string | null> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await c.query('SELECT pg_stat_statements_reset()');
    return null;
  } catch (err) {
    return `pg_stat_statements is not available (${errorMessage(err)}): preload it on the server`;
  } finally {
    await c.end();
  }
}

/**
 * The statements that took the most time (planning + execution, wall clock: waits for locks,
 * I/O and the CPU included), grouped by their first 60 characters (a group commit's statement
 * differs with the WITH items it carries).
 */
export async function statementsReport(url: string, top = 12): Promise<string> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ q: string; calls: string; plan: number; exec: number; rows: string }>(`
      SELECT left(regexp_replace(regexp_replace(query, '\\s+', ' ', 'g'), '\\$[0-9]+', '$n', 'g'), 60) AS q, sum(calls) AS calls,
             sum(total_plan_time)::float8 AS plan, sum(total_exec_time)::float8 AS exec, sum(rows) AS rows
      FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
      GROUP BY 1 ORDER BY sum(total_plan_time + total_exec_time) DESC LIMIT $1`, [top]);
    const total = rows.reduce((s, r) => s + r.plan + r.exec, 0);
    const lines = [
      '| statement (first 60 characters) | calls | rows | planning s | execution s | mean plan + execution ms | share of these |',
      '|---|---:|---:|---:|---:|---:|---:|',
      ...rows.map((r) => `| \`${r.q.replaceAll('|', '\\|')}\` | ${Number(r.calls).toLocaleString('en')} | ${Number(r.rows).toLocaleString('en')} | ` +
        `${(r.plan / 1000).toFixed(1)} | ${(r.exec / 1000).toFixed(1)} | ${((r.plan + r.exec) / Number(r.calls)).toFixed(2)} | ${((100 * (r.plan + r.exec)) / total).toFixed(0)} % |`),
    ];
    return lines.join('\n');
  } finally {
    await c.end();
  }
}
