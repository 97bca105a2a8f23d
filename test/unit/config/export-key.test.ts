import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/index.ts';
import { estimatedKeyBits, exportKeyProblem, generateExportKey } from '../../../src/config/export-key.ts';

const run = promisify(execFile);

/** A key from 32 random bytes, fixed so that a failure can be reproduced. */
const GOOD = 'Yq3vN8dKxW2pLr7TfB0sZ-hC5mJ_gE9uAiV4oQ6nXyR';

function refusal(key: string): string {
  try {
    loadConfig({ EXPORT_KEY: key });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    const message = (e as Error).message;
    // The message goes to logs: it must never carry the key.
    expect(message).not.toContain(key);
    return message;
  }
  throw new Error('the key was accepted');
}

describe('EXPORT_KEY', () => {
  it('is unset by default: exports are refused', () => {
    expect(loadConfig({}).export.key).toBeNull();
  });

  it('is read when long and unpredictable enough', () => {
    expect(loadConfig({ EXPORT_KEY: GOOD }).export.key).toBe(GOOD);
  });

  it('refuses a key shorter than 32 characters, without repeating it', () => {
    const message = refusal('short-secret');
    expect(message).toMatch(/EXPORT_KEY: must be at least 32 characters/);
    expect(message).toContain('npm run admin -- export-key generate');
    // Unpredictable but short is still refused: the length rule stands on its own.
    expect(refusal(GOOD.slice(0, 31))).toMatch(/EXPORT_KEY: must be at least 32 characters \(it is 31\)/);
  });

  it('refuses 32 × "a", naming the variable and the fix', () => {
    expect(estimatedKeyBits('a'.repeat(32))).toBe(0);
    expect(refusal('a'.repeat(32))).toMatch(/EXPORT_KEY: is too predictable .*npm run admin -- export-key generate/);
  });

  it('refuses repeated characters, runs and repeated blocks however long', () => {
    for (const key of [
      'k'.repeat(64),
      'abababababababababababababababab',
      'abcdefghijklmnopqrstuvwxyz012345',
      '0123456789abcdef0123456789abcdef',
      'passwordpasswordpasswordpassword',
      'abcd'.repeat(16),
    ]) expect(exportKeyProblem(key), key).toMatch(/too predictable/);
  });

  it('accepts every generated key, and random keys in the usual encodings', () => {
    for (let i = 0; i < 2000; i++) {
      const key = generateExportKey();
      expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(exportKeyProblem(key), key).toBeNull();
    }
    // openssl rand -base64 32, openssl rand -hex 32
    const bytes = Buffer.from(GOOD, 'base64url');
    expect(exportKeyProblem(bytes.toString('base64'))).toBeNull();
    expect(exportKeyProblem(bytes.toString('hex'))).toBeNull();
  });

  it('`npm run admin -- export-key generate` prints a key the check accepts, even while the configured one is refused', async () => {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/admin/cli.ts', 'export-key', 'generate'], {
      // No database is needed, and a bad key already set must not stop the command.
      env: { ...process.env, EXPORT_KEY: 'a'.repeat(32), DATABASE_URL: 'postgres://nowhere.invalid/none' },
    });
    const key = stdout.trim();
    expect(stdout).toBe(`${key}\n`);
    expect(loadConfig({ EXPORT_KEY: key }).export.key).toBe(key);
    expect(stderr).toContain('EXPORT_KEY');
    const second = await run(process.execPath, ['--import', 'tsx', 'src/admin/cli.ts', 'export-key', 'generate']);
    expect(second.stdout.trim()).not.toBe(key);
  }, 30_000);
});
