// A periodic async task on the wall clock: a tick while the previous run is still going
// is skipped (never two runs at once), a failure goes to `onError` and the next tick runs
// again. The timer does not keep the process alive.

export interface Periodic {
  /** Stop the timer and wait for a run in progress. */
  stop(): Promise<void>;
}

export function every(intervalMs: number, task: () => Promise<unknown>, onError: (err: unknown) => void): Periodic {
  let running: Promise<unknown> = Promise.resolve();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    // Through a promise, so that a task throwing before its first await cannot stop the loop.
    running = Promise.resolve()
      .then(task)
      .catch(onError)
      .finally(() => {
        busy = false;
      });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
