// docs/idco.md shows the ACKs the service sends; this keeps them what handleIdco writes.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { handleIdco, type IdcoContext } from '../../../src/ingest/idco-handler.ts';
import { ParseQueue } from '../../../src/ingest/parse-queue.ts';
import { IdentityMismatchLimiter } from '../../../src/ingest/idco/identity-guard.ts';
import { ServiceError } from '../../../src/errors.ts';
import type { IngestService } from '../../../src/ingest/service.ts';

const AT = Date.parse('2026-03-04T01:15:02Z');
const fixture = fs.readFileSync(new URL('../../fixtures/idco/crt-d-remote-crlf.hl7', import.meta.url));

/** The code blocks of the page's "The ACK" section, segments ended by CR as sent. */
function documentedAcks(): string[] {
  const page = fs.readFileSync(new URL('../../../docs/idco.md', import.meta.url), 'utf8');
  const section = page.slice(page.indexOf('\n## The ACK\n'), page.indexOf('\n## ', page.indexOf('\n## The ACK\n') + 1));
  return [...section.matchAll(/```\n([\s\S]*?)```/g)].map((m) => m[1]!.replaceAll('\n', '\r'));
}

/** A reply of the handler, with a storage that takes every reading or refuses them all. */
async function reply(body: Uint8Array | string, storage: 'up' | 'down'): Promise<string> {
  const service = {
    charge() {},
    async idcoRecords() {
      if (storage === 'down') throw new ServiceError('unavailable', 'storage unavailable', 2000);
      return [];
    },
    async ingest() {
      if (storage === 'down') throw new ServiceError('unavailable', 'storage unavailable', 2000);
      return { accepted: 15, duplicates: 0, rejected: [] };
    },
    async birthDateDiffers() {
      return false;
    },
  } as unknown as IngestService;
  const ctx = {
    sender: { transport: 'http', gatewayId: 1 },
    limiter: new IdentityMismatchLimiter(),
    log: { info() {}, warn() {}, error() {} },
    bounds: { maxSegments: 5000, queue: new ParseQueue(8) },
  } as unknown as IdcoContext;
  return (await handleIdco(body, { gatewayId: 1, siteId: 1 }, service, ctx, () => AT)).ack;
}

/** MSH-10, the reply's own control id, is `ACK` + the time + a counter of the process: compared by form. */
const withoutControlId = (ack: string) => ack.replace(/(\|ACK(?:\^R01\^ACK)?\|)ACK[0-9a-z]+\|/, '$1<id>|');

describe('docs/idco.md: the ACK examples', () => {
  it('are the ones the service sends: AA, AR as storage refuses, AE for a body that is not HL7', async () => {
    const documented = documentedAcks();
    const sent = [await reply(fixture, 'up'), await reply(fixture, 'down'), await reply('hello, this is not HL7', 'up')];
    expect(documented).toHaveLength(3);
    expect(documented.map(withoutControlId)).toEqual(sent.map(withoutControlId));
    const timeId = `ACK${AT.toString(36)}`;
    for (const ack of [...documented, ...sent]) expect(ack.split('|')[9]).toMatch(new RegExp(`^${timeId}[0-9a-z]+$`));
  });
});
