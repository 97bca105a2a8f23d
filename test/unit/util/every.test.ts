import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { every } from '../../../src/util/every.ts';

/** A promise settled from the test, so a run lasts exactly as long as the test says. */
function deferred() {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Whether a promise has settled, after letting pending callbacks run. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true), () => (done = true));
  await vi.advanceTimersByTimeAsync(0);
  return done;
}

describe('every', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs the task once per interval', async () => {
    const task = vi.fn(async () => {});
    const loop = every(100, task, () => {});
    await vi.advanceTimersByTimeAsync(99);
    expect(task).toHaveBeenCalledTimes(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(task).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(task).toHaveBeenCalledTimes(3);
    await loop.stop();
  });

  it('skips the ticks that come while a run is still going', async () => {
    const runs: ReturnType<typeof deferred>[] = [];
    let active = 0;
    let maxActive = 0;
    const task = vi.fn(async () => {
      const d = deferred();
      runs.push(d);
      active++;
      maxActive = Math.max(maxActive, active);
      try {
        await d.promise;
      } finally {
        active--;
      }
    });
    const loop = every(100, task, () => {});
    await vi.advanceTimersByTimeAsync(500);
    expect(task).toHaveBeenCalledTimes(1);
    runs[0]!.resolve();
    await vi.advanceTimersByTimeAsync(0);
    // The skipped ticks are not made up for: the next run waits for the next tick.
    expect(task).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(task).toHaveBeenCalledTimes(2);
    expect(maxActive).toBe(1);
    runs[1]!.resolve();
    await loop.stop();
  });

  it('hands a failure to onError and runs again on the next tick', async () => {
    const err = new Error('database away');
    const task = vi.fn().mockRejectedValueOnce(err).mockResolvedValue(undefined);
    const onError = vi.fn();
    const loop = every(100, task, onError);
    await vi.advanceTimersByTimeAsync(100);
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError).toHaveBeenCalledWith(err);
    await vi.advanceTimersByTimeAsync(100);
    expect(task).toHaveBeenCalledTimes(2);
    expect(onError).toHaveBeenCalledTimes(1);
    await loop.stop();
  });

  it('stop waits for a run in progress, then no run starts', async () => {
    const run = deferred();
    let finished = false;
    const task = vi.fn(async () => {
      await run.promise;
      finished = true;
    });
    const loop = every(100, task, () => {});
    await vi.advanceTimersByTimeAsync(100);
    expect(task).toHaveBeenCalledTimes(1);
    const stopped = loop.stop();
    expect(await settled(stopped)).toBe(false);
    run.resolve();
    await stopped;
    expect(finished).toBe(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(task).toHaveBeenCalledTimes(1);
  });

  it('stop waits for a run that fails, and does not reject', async () => {
    const run = deferred();
    const onError = vi.fn();
    const loop = every(100, () => run.promise, onError);
    await vi.advanceTimersByTimeAsync(100);
    const stopped = loop.stop();
    expect(await settled(stopped)).toBe(false);
    run.reject(new Error('boom'));
    await expect(stopped).resolves.toBeUndefined();
    expect(onError).toHaveBeenCalledTimes(1);
  });

  it('stop resolves at once when no run is in progress', async () => {
    const task = vi.fn(async () => {});
    const loop = every(100, task, () => {});
    expect(await settled(loop.stop())).toBe(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(task).not.toHaveBeenCalled();
  });
});
