import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gatewaySocketCap, openFilesLimit } from '../../../src/ingest/capacity.ts';

describe('gateway socket capacity', () => {
  it('is INGEST_MAX_SOCKETS when the open-files limit leaves room for it', () => {
    expect(gatewaySocketCap(50_000, 1050, 1_048_576)).toEqual({ max: 50_000, byOpenFiles: false });
    expect(gatewaySocketCap(50_000, 1050, 51_050)).toEqual({ max: 50_000, byOpenFiles: false });
    expect(gatewaySocketCap(50_000, 1050, null)).toEqual({ max: 50_000, byOpenFiles: false });
  });

  it('is what the open-files limit leaves after the reserve when that is less', () => {
    expect(gatewaySocketCap(50_000, 1050, 20_000)).toEqual({ max: 18_950, byOpenFiles: true });
    expect(gatewaySocketCap(50_000, 1050, 1024)).toEqual({ max: 1, byOpenFiles: true });
  });

  it('reads the soft open-files limit of a limits file, null when unlimited or unreadable', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'limits-'));
    const file = (soft: string, hard: string) => {
      const f = path.join(dir, `${soft}-${hard}`);
      fs.writeFileSync(f, [
        'Limit                     Soft Limit           Hard Limit           Units',
        'Max processes             96367                96367                processes',
        `Max open files            ${soft.padEnd(21)}${hard.padEnd(21)}files`,
        'Max locked memory         8388608              8388608              bytes',
      ].join('\n'));
      return f;
    };
    expect(openFilesLimit(file('20000', '20000'))).toBe(20_000);
    expect(openFilesLimit(file('1024', '524288'))).toBe(1024);
    expect(openFilesLimit(file('unlimited', 'unlimited'))).toBeNull();
    expect(openFilesLimit(path.join(dir, 'absent'))).toBeNull();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads this process\'s own limit on Linux', () => {
    if (process.platform !== 'linux') return;
    expect(openFilesLimit()).toBeGreaterThan(0);
  });
});
