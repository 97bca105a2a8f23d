// The raw PostgreSQL ceiling the ingest benchmarks print beside the service's figures.
import pg from 'pg';

const T0 = Date.UTC(2026, 0, 1);

/**
 * The ceiling: one process inserting the same kind of rows with the statement the
 * service's fast path uses (unnest, `per` rows a statement, autocommit), and
 * nothing else to do.
 */
export async function rawCeiling(url: string, total: number, per: number): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query('CREATE TABLE raw_readings (LIKE readings INCLUDING ALL)');
  const start = performance.now();
  for (let done = 0; done < total; done += per) {
    const n = Math.min(per, total - done);
    const dev: number[] = [], seq: number[] = [], at: number[] = [], met: number[] = [], val: number[] = [], gw: number[] = [];
    for (let i = 0; i < n; i++) {
      const s = done + i;
      dev.push(1 + (s % 400)); seq.push(s); at.push(T0 + s * 60_000); met.push(1 + (s % 5)); val.push(70 + (s % 7)); gw.push(1);
    }
    await c.query(
      `INSERT INTO raw_readings (device_id, seq, at, metric, value, gateway_id)
       SELECT d, s, to_timestamp(a / 1000), m, v, g
       FROM unnest($1::int4[], $2::int8[], $3::float8[], $4::int2[], $5::float8[], $6::int4[]) AS t(d, s, a, m, v, g)`,
      [dev, seq, at, met, val, gw],
    );
  }
  const perSec = total / ((performance.now() - start) / 1000);
  await c.query('DROP TABLE raw_readings');
  await c.end();
  return perSec;
}
