import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeSecretFile } from '../../../simulators/demo-seed.ts';

// The demo's credentials file (and its gateway key) hold passwords and keys in clear:
// however the file was left, writing it leaves it readable by its owner alone.

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'demo-secret-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const mode = (file: string) => fs.statSync(file).mode & 0o777;

describe.skipIf(process.platform === 'win32')('writeSecretFile', () => {
  it('creates the file, and its directory, with mode 0600', () => {
    const file = path.join(dir, 'data', 'demo-credentials.json');
    writeSecretFile(file, '[]\n');
    expect(fs.readFileSync(file, 'utf8')).toBe('[]\n');
    expect(mode(file)).toBe(0o600);
  });

  it('rewrites an existing 0644 file as 0600, with only the new content', () => {
    const file = path.join(dir, 'demo-credentials.json');
    fs.writeFileSync(file, '[{"password":"old and much longer than the new content"}]\n');
    fs.chmodSync(file, 0o644);
    writeSecretFile(file, '[{"password":"new"}]\n');
    expect(mode(file)).toBe(0o600);
    expect(fs.readFileSync(file, 'utf8')).toBe('[{"password":"new"}]\n');
    // No temporary file is left beside it.
    expect(fs.readdirSync(dir)).toEqual(['demo-credentials.json']);
  });

  it('leaves no temporary file when the write fails', () => {
    // A directory where the file should be: the rename fails.
    const file = path.join(dir, 'taken');
    fs.mkdirSync(file);
    fs.writeFileSync(path.join(file, 'inside'), '');
    expect(() => writeSecretFile(file, 'secret')).toThrow();
    expect(fs.readdirSync(dir)).toEqual(['taken']);
  });
});
