import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { expectUnharmed, FuzzSocket, RUNS, startWatched, type Watched } from './harness.ts';
import { anyJsonText, brokenText, nearValidBatch } from './hostile.ts';

// Fuzzing the WebSocket ingest protocol: whatever a gateway sends, each frame gets one
// reply (ack, status or a protocol error), the socket stays open, nothing is logged at
// error level and the service keeps serving others. A storage failure (`unavailable`)
// on a healthy database would mean the input broke the write, so it counts as a fault.

const REPLY_ERRORS = ['bad_json', 'bad_message', 'unknown_type', 'rate_limited'];

let w: Watched;
let gw: FuzzSocket;
let oversized = 0;

beforeAll(async () => {
  w = await startWatched(inject('pgAdminUrl'));
  gw = await FuzzSocket.open(w.svc.wsUrl, w.key);
});
afterAll(async () => {
  gw?.close();
  await w?.close();
});

/**
 * Send one frame; its one reply must be a well-formed protocol answer. A frame over
 * INGEST_MAX_FRAME_BYTES must instead close the socket with 1009 (a new one is opened).
 */
async function exchange(frame: string): Promise<Record<string, unknown>> {
  if (Buffer.byteLength(frame) > w.svc.config.ingest.maxFrameBytes) {
    gw.ws.send(frame);
    expect((await gw.closing).code).toBe(1009);
    oversized++;
    gw = await FuzzSocket.open(w.svc.wsUrl, w.key);
    return { type: 'closed' };
  }
  const reply = await gw.exchange(frame);
  expect(['ack', 'status', 'error']).toContain(reply.type);
  if (reply.type === 'error') expect(REPLY_ERRORS, JSON.stringify(reply)).toContain(reply.code);
  if (reply.type === 'ack') {
    const rejected = reply.rejected as unknown[];
    expect(typeof reply.accepted).toBe('number');
    expect(Array.isArray(rejected)).toBe(true);
  }
  expect(gw.ws.readyState).toBe(gw.ws.OPEN);
  return reply;
}

describe('WebSocket ingest under hostile frames', () => {
  it('answers arbitrary JSON values', async () => {
    await fc.assert(fc.asyncProperty(anyJsonText, async (frame) => void (await exchange(frame))), { numRuns: RUNS });
    await expectUnharmed(w);
  });

  it('answers frames that are not JSON, or cut short', async () => {
    await fc.assert(fc.asyncProperty(brokenText, async (frame) => {
      const reply = await exchange(frame);
      // Not an object at all: no id can be echoed.
      if (reply.code === 'bad_json') expect(reply.id).toBeNull();
    }), { numRuns: RUNS });
    await expectUnharmed(w);
  });

  it('answers near-valid readings messages: wrong types, huge numbers, deep nesting, NUL, lone surrogates, __proto__', async () => {
    let acks = 0;
    await fc.assert(fc.asyncProperty(nearValidBatch(true), async (frame) => {
      const reply = await exchange(frame);
      if (reply.type === 'ack') acks++;
    }), { numRuns: RUNS * 2 });
    console.info(`near-valid batches: ${RUNS * 2} frames, ${acks} acked, ${oversized} over the frame limit so far`);
    // The generator does reach storage, not only the message-level checks.
    expect(acks).toBeGreaterThan(RUNS / 10);
    await expectUnharmed(w);
  });

  it('answers hostile status messages', async () => {
    const devices = fc.oneof(
      fc.array(fc.oneof(fc.string({ unit: 'binary', maxLength: 70 }), fc.constantFrom('FUZZ-1', '__proto__', 'constructor', '\u0000', '\ud800')), { maxLength: 20 }),
      fc.jsonValue({ maxDepth: 2 }),
    );
    await fc.assert(fc.asyncProperty(fc.string({ maxLength: 130 }), devices, async (id, devs) => {
      const reply = await exchange(JSON.stringify({ type: 'status', id, devices: devs }));
      if (reply.type === 'status') expect(typeof reply.devices).toBe('object');
    }), { numRuns: RUNS });
    await expectUnharmed(w);
  });

  it('answers binary frames with bad_message', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (bytes) => {
      expect(await gw.exchange(Buffer.from(bytes), true)).toMatchObject({ type: 'error', id: null, code: 'bad_message' });
    }), { numRuns: Math.ceil(RUNS / 5) });
    await expectUnharmed(w);
  });

  it('quarantines a rejected reading nested 10,000 deep or keyed with a lone surrogate, without failing the batch (regression)', async () => {
    // Such a raw reading used to make the quarantine insert throw, and with it the whole
    // group commit: every gateway's batch in that flush was answered `unavailable`.
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const frame = `{"type":"readings","id":"deep","readings":[${deep},{"device":"FUZZ-2","seq":1,"at":"2026-03-04T02:00:00Z","metric":"heart_rate","value":60,"unit":{"\\ud800":1}},{"device":"FUZZ-2","seq":2,"at":"2026-03-04T02:00:00Z","metric":"heart_rate","value":61}]}`;
    const reply = await exchange(frame);
    expect(reply).toMatchObject({ type: 'ack', id: 'deep', accepted: 1, rejected: [{ index: 0, code: 'bad_reading' }, { index: 1, code: 'bad_reading' }] });
    const kept = await w.tdb.db.selectFrom('quarantine').select(['idx', 'raw']).where('batch_id', '=', 'deep').orderBy('idx').execute();
    expect(kept).toEqual([
      { idx: 0, raw: { unstorable: expect.stringContaining('nested deeper') } },
      { idx: 1, raw: expect.objectContaining({ device: 'FUZZ-2', unit: { '\uFFFD': 1 } }) },
    ]);
    await expectUnharmed(w);
  });
});
