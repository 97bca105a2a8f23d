import { afterEach, describe, expect, it } from 'vitest';
import { createCohort } from '../../../simulators/cohort.ts';
import { GatewayClient } from '../../../simulators/gateway/client.ts';
import { GatewayFatalError } from '../../../simulators/gateway/errors.ts';
import type { SimReading } from '../../../simulators/types.ts';
import { startFakeIngest, type FakeIngest } from './fake-ingest.ts';

const KEY = 'test-gateway-key';
const quiet = (): void => {};
let server: FakeIngest | null = null;

afterEach(async () => {
  await server?.close();
  server = null;
});

function sample(): { transmissions: SimReading[][]; unique: Set<string> } {
  const cohort = createCohort({ patients: 12, days: 20, seed: 'gw', noise: { duplicateRate: 0.2 } });
  const transmissions = [...cohort.transmissions()].map((t) => [...t.readings]);
  const unique = new Set(transmissions.flat().map((r) => `${r.device}/${r.seq}`));
  return { transmissions, unique };
}

describe('gateway client', () => {
  it('ends with every reading stored exactly once despite an unavailable error and a dropped socket', async () => {
    server = await startFakeIngest({ key: KEY, unavailableAt: 3, dropAfterStoring: 6 });
    const { transmissions, unique } = sample();
    const client = new GatewayClient({
      url: server.url, key: KEY, name: 'relay-t', maxBatch: 150, window: 4, log: quiet,
      backoff: { initialMs: 10, maxMs: 50 },
    });
    await client.connect();
    for (const t of transmissions) client.enqueue(t);
    await client.drain();
    await client.close();

    expect(server.counts.unavailable).toBe(1);
    expect(server.counts.drops).toBe(1);
    expect(server.stored.size).toBe(unique.size);
    expect([...server.accepts.values()].every((n) => n === 1)).toBe(true);
    const s = client.stats;
    expect(s.enqueued).toBe(transmissions.flat().length);
    expect(s.accepted + s.confirmedByStatus).toBeGreaterThanOrEqual(unique.size);
    expect(s.accepted + s.duplicates + s.confirmedByStatus).toBe(s.enqueued);
    expect(s.rejected).toBe(0);
    expect(s.failed).toBe(0);
    expect(s.retries).toBe(1);
    expect(s.reconnects).toBe(1);
    expect(s.resent + s.confirmedByStatus).toBeGreaterThan(0);
    expect(server.counts.statusRequests).toBeGreaterThanOrEqual(1);
  });

  it('keeps each device’s readings in seq order through an outage that ends while batches are waiting', async () => {
    // Batches 3 to 7 refused: the four in flight when it starts, and the first one resent.
    server = await startFakeIngest({ key: KEY, unavailableAt: 3, unavailableFor: 5 });
    const { transmissions, unique } = sample();
    const client = new GatewayClient({ url: server.url, key: KEY, name: 'relay-o', maxBatch: 60, window: 4, log: quiet });
    await client.connect();
    for (const t of transmissions) client.enqueue(t);
    await client.drain();
    await client.close();
    expect(server.counts.unavailable).toBe(5);
    expect(server.stored.size).toBe(unique.size);
    // The order the service stored them in: per device, seqs only ever rise.
    const last = new Map<string, number>();
    const backwards: string[] = [];
    for (const key of server.stored.keys()) {
      const [device, seq] = [key.slice(0, key.lastIndexOf('/')), Number(key.slice(key.lastIndexOf('/') + 1))];
      if ((last.get(device) ?? -1) > seq) backwards.push(key);
      last.set(device, seq);
    }
    expect(backwards).toEqual([]);
  });

  it('skips what the service already holds when it resumes', async () => {
    server = await startFakeIngest({ key: KEY });
    const { transmissions, unique } = sample();
    const half = Math.floor(transmissions.length / 2);
    const devices = [...new Set(transmissions.flat().map((r) => r.device))];
    const first = new GatewayClient({ url: server.url, key: KEY, name: 'a', log: quiet });
    await first.connect();
    for (const t of transmissions.slice(0, half)) first.enqueue(t);
    await first.drain();
    await first.close();

    const second = new GatewayClient({ url: server.url, key: KEY, name: 'b', log: quiet, resumeDevices: devices });
    await second.connect();
    for (const t of transmissions) second.enqueue(t);
    await second.drain();
    await second.close();
    expect(second.stats.skippedOnResume).toBeGreaterThan(0);
    expect(server.stored.size).toBe(unique.size);
    expect([...server.accepts.values()].every((n) => n === 1)).toBe(true);
  });

  it('stops with a clear error when the key is refused at upgrade', async () => {
    server = await startFakeIngest({ key: KEY });
    const client = new GatewayClient({ url: server.url, key: 'wrong', name: 'x', log: quiet });
    const err = await client.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayFatalError);
    expect((err as GatewayFatalError).code).toBe('unauthorized');
    expect(server.counts.upgradesRefused).toBe(1);
  });

  it('refuses a malformed URL before connecting', () => {
    expect(() => new GatewayClient({ url: 'localhost:3000', key: KEY, name: 'x' })).toThrow(GatewayFatalError);
    expect(() => new GatewayClient({ url: 'http://localhost:3000/v1/ingest', key: KEY, name: 'x' })).toThrow(/ws:\/\//);
  });
});
