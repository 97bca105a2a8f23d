import { describe, expect, it } from 'vitest';
import { cellText, formatTable } from '../../../src/admin/table.ts';

describe('the admin command line tables', () => {
  it('aligns the columns under a header and a rule, numbers to the right, with no index column', () => {
    const text = formatTable(
      [
        { id: 1, code: 'mri', name: 'Manchester Royal Infirmary', revoked_at: null },
        { id: 12, code: 'x', name: 'X', revoked_at: new Date('2026-03-04T02:00:00Z') },
      ],
      '(no sites)',
    );
    expect(text.split('\n')).toEqual([
      'id  code  name                        revoked_at',
      '--  ----  --------------------------  ------------------------',
      ' 1  mri   Manchester Royal Infirmary',
      '12  x     X                           2026-03-04T02:00:00.000Z',
    ]);
  });

  it('says there is nothing when there are no rows', () => {
    expect(formatTable([], '(no quarantined entries)')).toBe('(no quarantined entries)');
  });

  it.each([
    [null, ''],
    [undefined, ''],
    [['A-1', 'B-2'], 'A-1 B-2'],
    [[], ''],
    [{ value: -5 }, '{"value":-5}'],
    ['two\nlines\tand a tab', 'two lines and a tab'],
    [false, 'false'],
  ])('writes the cell %j as %j', (value, text) => {
    expect(cellText(value)).toBe(text);
  });
});
