import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readIdco } from '../../../src/ingest/idco/mapping.ts';
import { fixture } from './fixtures.ts';

// The five public IDCO messages of the iCARDEA project (test/fixtures/idco/icardea), real
// vendor-shaped messages: what of them the service cannot use, as docs/idco.md counts it.
const names = readdirSync(new URL('../../fixtures/idco/icardea/', import.meta.url)).filter((n) => n.endsWith('.hl7')).sort();

describe('the public iCARDEA messages', () => {
  it('are the five the docs count', () => {
    expect(names).toEqual(['af-scenario-1.hl7', 'af-scenario.hl7', 'secura-dr-remote.hl7', 'vt-scenario-step-20.hl7', 'vt-scenario-step-9-with-pdf.hl7']);
  });

  it('leave 2 observations unmapped, the two embedded PDF reports', () => {
    const unmapped = names.flatMap((n) => {
      const r = readIdco(fixture(`icardea/${n}`));
      if (!r.ok) throw new Error(`${n}: ${r.error.message}`);
      return r.message.unmapped.map((u) => [n, u.reason]);
    });
    expect(unmapped).toEqual([['af-scenario-1.hl7', 'encapsulated_data'], ['vt-scenario-step-9-with-pdf.hl7', 'encapsulated_data']]);
  });
});
