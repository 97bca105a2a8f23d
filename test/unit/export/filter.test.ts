import { describe, expect, it } from 'vitest';
import { parseExportRequest } from '../../../src/export/filter.ts';
import { ServiceError } from '../../../src/errors.ts';

const code = (q: Record<string, unknown>) => {
  try {
    parseExportRequest(q);
    return 'ok';
  } catch (e) {
    return e instanceof ServiceError ? e.code : 'threw';
  }
};

describe('export filters', () => {
  it('default to everything as NDJSON', () => {
    expect(parseExportRequest({})).toEqual({ from: null, to: null, sites: null, kinds: null, format: 'ndjson', includeReadings: false, includeOutcomes: false });
  });
  it('read RFC 3339 times and dates, lists and include=readings', () => {
    const r = parseExportRequest({ from: '2026-01-01', to: '2026-02-01T12:00:00+01:00', site: 'east,west', kind: ['battery', 'hf_decompensation'], format: 'csv', include: 'readings' });
    expect(r).toEqual({
      from: Date.UTC(2026, 0, 1), to: Date.UTC(2026, 1, 1, 11), sites: ['east', 'west'], kinds: ['battery', 'hf_decompensation'], format: 'csv', includeReadings: true, includeOutcomes: false,
    });
  });
  it('refuse malformed dates, reversed windows, unknown kinds, formats and includes with bad_message', () => {
    for (const q of [
      { from: 'yesterday' }, { from: '2026-02-30' }, { from: '2026-13-01' }, { to: '2026-01-01T25:00:00Z' }, { from: '2026-01-01T00:00:00' },
      { from: '1767225600000' }, { from: '2026-02-01', to: '2026-01-01' }, { from: '2026-01-01', to: '2026-01-01' },
      { kind: 'toaster' }, { format: 'xlsx' }, { include: 'names' }, { site: 'East Site' }, { site: ['a', 5] },
    ]) {
      expect(code(q), JSON.stringify(q)).toBe('bad_message');
    }
  });
});
