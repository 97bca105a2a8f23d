import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { TEST_KEY_FILE } from './keys.ts';

const run = promisify(execFile);

export interface CliResult { code: number; stdout: string; stderr: string }

/** Run one of the project's command-line scripts (e.g. `src/admin/cli.ts`) against `databaseUrl`; a non-zero exit is a result, not a throw. */
export async function runCli(script: string, args: readonly string[], databaseUrl: string): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', script, ...args], {
      env: { ...process.env, MASTER_KEY_FILE: process.env.MASTER_KEY_FILE ?? TEST_KEY_FILE, DATABASE_URL: databaseUrl }, maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as CliResult;
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}
