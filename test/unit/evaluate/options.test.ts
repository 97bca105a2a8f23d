// The flags of `npm run evaluate` and the cohort flags bench:engine keeps.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { UsageError, parseCohortArgs } from '../../../simulators/evaluate/args.ts';
import { REPORT_COHORT, REPORT_SEEDS, TUNE_SEEDS } from '../../../simulators/evaluate/frozen.ts';
import { parseEvaluateArgs } from '../../../simulators/evaluate/options.ts';
import { settingsFrom } from '../../../simulators/evaluate/settings.ts';
import { DEFAULT_CONFIG } from '../../../src/engine/config.ts';

describe('parseEvaluateArgs', () => {
  it('defaults: every profile, the frozen report seeds and cohort, the next-day clinic, tables', () => {
    expect(parseEvaluateArgs([])).toEqual({
      profiles: ['clean', 'calibrated', 'double'], seeds: REPORT_SEEDS, ...REPORT_COHORT,
      clinic: { resolve: 'after-open', days: 1 }, settings: null, json: false, help: false,
    });
  });

  it('profile, tuning seeds, repeated seeds, size, clinic and json', () => {
    expect(parseEvaluateArgs(['--profile', 'calibrated', '--tune'])).toMatchObject({ profiles: ['calibrated'], seeds: TUNE_SEEDS });
    expect(parseEvaluateArgs(['--profile', 'all', '--seed', 'a', '--seed', 'b'])).toMatchObject({ profiles: ['clean', 'calibrated', 'double'], seeds: ['a', 'b'] });
    expect(parseEvaluateArgs(['--patients', '50', '--days', '30', '--json'])).toMatchObject({ patients: 50, days: 30, json: true });
    expect(parseEvaluateArgs(['--resolve-after', '3']).clinic).toEqual({ resolve: 'after-open', days: 3 });
    expect(parseEvaluateArgs(['--resolve-quiet', '7']).clinic).toEqual({ resolve: 'quiet', days: 7 });
    expect(parseEvaluateArgs(['--settings', 'x.json']).settings).toBe('x.json');
  });

  it('rejects unknown profiles, conflicting flags and bad numbers', () => {
    for (const argv of [
      ['--profile', 'noisy'], ['--tune', '--seed', 'x'], ['--resolve-after', '1', '--resolve-quiet', '7'],
      ['--resolve-after', '0'], ['--patients', '-1'], ['--nope'],
    ]) expect(() => parseEvaluateArgs(argv), argv.join(' ')).toThrow(UsageError);
  });
});

describe('settingsFrom', () => {
  it('merges the shipped sensitive preset over the defaults', () => {
    const c = settingsFrom(fileURLToPath(new URL('../../../docs/settings/hf-sensitive.json', import.meta.url)));
    expect(c.hf.zImpedance).toBeLessThan(DEFAULT_CONFIG.hf.zImpedance);
    expect(c.hf.zSecond).toBeLessThan(DEFAULT_CONFIG.hf.zSecond);
    expect(c.hf.fluidThreshold).toBe(DEFAULT_CONFIG.hf.fluidThreshold);
  });

  it('names the file and the problem: missing, not JSON, an unknown key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'settings-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"hf":{"zSecnd":3}}');
    const notJson = join(dir, 'not.json');
    writeFileSync(notJson, '{hf');
    expect(() => settingsFrom(bad)).toThrow(/bad\.json: unknown engine setting: hf\.zSecnd/);
    expect(() => settingsFrom(notJson)).toThrow(/not\.json: .*JSON/);
    expect(() => settingsFrom(join(dir, 'missing.json'))).toThrow(/missing\.json: ENOENT/);
  });
});

describe('parseCohortArgs', () => {
  const defaults = { patients: 1000, days: 365, seed: '7' };
  it('defaults and overrides', () => {
    expect(parseCohortArgs([], defaults)).toEqual({ patients: 1000, days: 365, seed: '7', help: false });
    expect(parseCohortArgs(['--patients', '5', '--days', '30', '--seed', 'x'], defaults)).toMatchObject({ patients: 5, days: 30, seed: 'x' });
  });
  it('rejects a bad number or an unknown flag', () => {
    expect(() => parseCohortArgs(['--patients', '0'], defaults)).toThrow(UsageError);
    expect(() => parseCohortArgs(['--nope'], defaults)).toThrow(UsageError);
  });
});
