import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.ts';

describe('EXPORT_KEY', () => {
  it('is unset by default: exports are refused', () => {
    expect(loadConfig({}).export.key).toBeNull();
  });
  it('is read when long enough', () => {
    expect(loadConfig({ EXPORT_KEY: 'x'.repeat(32) }).export.key).toBe('x'.repeat(32));
  });
  it('refuses a key shorter than 32 characters, without repeating it', () => {
    try {
      loadConfig({ EXPORT_KEY: 'short-secret' });
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toMatch(/EXPORT_KEY: must be at least 32 characters/);
      expect((e as Error).message).not.toContain('short-secret');
    }
  });
});
