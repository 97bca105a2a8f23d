import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { startService, type RunningService } from '../helpers/service.ts';
import { readings, TestGateway } from '../helpers/gateway.ts';

const run = promisify(execFile);
let tdb: TestDatabase;
let svc: RunningService;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  svc = await startService(tdb.db, tdb.url);
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

async function admin(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/admin/cli.ts', ...args], {
      env: { ...process.env, DATABASE_URL: tdb.url },
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('npm run admin', () => {
  it('creates a site and a gateway whose key works once and is never shown again', async () => {
    expect(await admin('site', 'create', 'cli', '--name', 'CLI site')).toMatchObject({ code: 0, stdout: expect.stringContaining('site "cli" created') });
    const created = await admin('gateway', 'create', '--site', 'cli', '--name', 'bedside', '--json');
    const gw = JSON.parse(created.stdout) as { id: number; key: string };
    expect(gw.key).toMatch(/^gk_[A-Za-z0-9_-]{43}$/);
    const socket = await TestGateway.open(svc.wsUrl, gw.key);
    expect(await socket.batch('1', readings('CLI-1', 0, 1))).toMatchObject({ accepted: 1 });

    const list = await admin('gateway', 'list', '--json');
    expect(list.stdout).toContain('"name": "bedside"');
    expect(list.stdout).not.toContain(gw.key);

    expect((await admin('gateway', 'revoke', String(gw.id))).code).toBe(0);
    expect((await socket.closed).code).toBe(1008);
    const twice = await admin('gateway', 'revoke', String(gw.id));
    expect(twice).toMatchObject({ code: 1, stderr: expect.stringContaining('revoked already') });
  });

  it('lists quarantined readings with their reason', async () => {
    await admin('site', 'create', 'q', '--name', 'Q');
    const gw = JSON.parse((await admin('gateway', 'create', '--site', 'q', '--name', 'g', '--json')).stdout) as { key: string };
    const socket = await TestGateway.open(svc.wsUrl, gw.key);
    await socket.batch('qb', [{ ...readings('CLI-Q', 0, 1)[0]!, value: -5 }]);
    socket.close();
    const q = await admin('quarantine', 'list', '--site', 'q', '--json');
    const rows = JSON.parse(q.stdout) as Array<{ code: string; batch_id: string; raw: { value: number } }>;
    expect(rows).toEqual([expect.objectContaining({ code: 'out_of_range', batch_id: 'qb', raw: expect.objectContaining({ value: -5 }) })]);
  });

  it.each([
    [['site', 'create', 'Bad Code', '--name', 'x'], 1, 'a site code is'],
    [['site', 'create', 'cli2'], 2, 'usage'],
    [['gateway', 'create', '--site', 'nowhere', '--name', 'g'], 1, 'no site "nowhere"'],
    [['gateway', 'revoke', 'abc'], 2, 'usage'],
    [['gateway', 'revoke', '999999'], 1, 'no gateway with id 999999'],
    [['quarantine', 'list', '--limit', '0'], 2, '--limit'],
    [['launch', 'rockets'], 2, 'unknown command'],
  ])('explains %j (exit %i)', async (args, code, text) => {
    const r = await admin(...args);
    expect(r.code).toBe(code);
    expect(r.stderr).toContain(text);
  });
});
