// `npm run admin -- alerts outbox [retry <id>|all]`, as an operator runs it after
// telemetry_alert_outbox_set_aside_total moved.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { runCli, type CliResult } from '../helpers/cli.ts';
import { OUTBOX_MAX_ATTEMPTS } from '../../src/store/alert-outbox.ts';

let tdb: TestDatabase;

function admin(...args: string[]): Promise<CliResult> {
  return runCli('src/admin/cli.ts', args, tdb.url);
}

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
});
afterAll(async () => {
  await tdb?.drop();
});

const attempts = async () => (await sql<{ id: string; attempts: number }>`SELECT id, attempts FROM alert_outbox ORDER BY id`.execute(tdb.db)).rows
  .map((r) => [Number(r.id), r.attempts]);

describe('alerts outbox', () => {
  it('says when nothing waits, lists what waits and what was left aside, and gives those another try', async () => {
    const empty = await admin('alerts', 'outbox');
    expect(empty).toMatchObject({ code: 0, stdout: expect.stringContaining('the alert outbox is empty') });

    const [aside, waiting] = [
      (await sql<{ id: string }>`INSERT INTO alert_outbox (decisions, attempts, last_error) VALUES ('[{}, {}]', ${OUTBOX_MAX_ATTEMPTS}, 'boom') RETURNING id`.execute(tdb.db)).rows[0]!.id,
      (await sql<{ id: string }>`INSERT INTO alert_outbox (decisions) VALUES ('[{}]') RETURNING id`.execute(tdb.db)).rows[0]!.id,
    ].map(Number);
    const listed = await admin('alerts', 'outbox');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`${aside}\\s.*\\s2\\s+${OUTBOX_MAX_ATTEMPTS}\\s+LEFT ASIDE\\s+boom`));
    expect(listed.stdout).toMatch(new RegExp(`${waiting}\\s.*\\s1\\s+0\\s+waiting`));
    const json = JSON.parse((await admin('alerts', 'outbox', '--json')).stdout) as Array<{ id: number; decisions: number; leftAside: boolean }>;
    expect(json.map((r) => [r.id, r.decisions, r.leftAside])).toEqual([[aside, 2, true], [waiting, 1, false]]);

    expect((await admin('alerts', 'outbox', 'retry', String(waiting))).stdout).toContain('nothing left aside to retry');
    expect((await admin('alerts', 'outbox', 'retry', String(aside))).stdout).toContain('1 group of decisions given another try');
    expect(await attempts()).toEqual([[aside, 0], [waiting, 0]]);
    await sql`UPDATE alert_outbox SET attempts = ${OUTBOX_MAX_ATTEMPTS}`.execute(tdb.db);
    expect((await admin('alerts', 'outbox', 'retry', 'all')).stdout).toContain('2 groups of decisions given another try');
    expect(await attempts()).toEqual([[aside, 0], [waiting, 0]]);
  });

  it('refuses a retry without an id, with a bad one or with more arguments, and changes nothing', async () => {
    await sql`UPDATE alert_outbox SET attempts = ${OUTBOX_MAX_ATTEMPTS}`.execute(tdb.db);
    const before = await attempts();
    for (const args of [['retry'], ['retry', '0'], ['retry', 'x1'], ['retry', '1; DROP TABLE alerts'], ['retry', '1', '2'], ['purge']]) {
      const r = await admin('alerts', 'outbox', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain('usage: npm run admin -- alerts outbox');
    }
    expect(await attempts()).toEqual(before);
  });
});
