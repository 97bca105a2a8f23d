import { describe, expect, it } from 'vitest';
import { HashesBusyError, HashGate, MAX_CONCURRENT_HASHES, MAX_QUEUED_HASHES } from '../../../src/auth/passwords.ts';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('HashGate', () => {
  it('runs at most maxRunning tasks at once, the rest in arrival order', async () => {
    const gate = new HashGate(2, 10);
    const started: number[] = [];
    const gates = [0, 1, 2, 3].map(() => deferred());
    const runs = gates.map((d, i) => gate.run(async () => {
      started.push(i);
      await d.promise;
    }, true));
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1]);
    gates[1]!.resolve();
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    for (const d of gates) d.resolve();
    await Promise.all(runs);
    expect(started).toEqual([0, 1, 2, 3]);
  });

  it('refuses a bounded task when maxWaiting are queued, and queues an unbounded one', async () => {
    const gate = new HashGate(1, 1);
    const hold = deferred();
    const first = gate.run(() => hold.promise, true);
    const second = gate.run(async () => 'second', true);
    expect(gate.full).toBe(true);
    await expect(gate.run(async () => 'third', true)).rejects.toBeInstanceOf(HashesBusyError);
    const admin = gate.run(async () => 'admin', false);
    hold.resolve();
    await first;
    expect(await second).toBe('second');
    expect(await admin).toBe('admin');
    expect(gate.full).toBe(false);
  });

  it('frees the slot when a task fails', async () => {
    const gate = new HashGate(1, 0);
    await expect(gate.run(() => Promise.reject(new Error('boom')), true)).rejects.toThrow('boom');
    expect(await gate.run(async () => 1, true)).toBe(1);
  });

  it('leaves a libuv thread free of scrypt, and queues a short line', () => {
    expect(MAX_CONCURRENT_HASHES).toBeLessThan(4);
    expect(MAX_QUEUED_HASHES).toBeLessThanOrEqual(32);
  });
});
