// Scheduling of the HL7 parses (idco-handler.ts): kept out of src/ingest/idco, whose parsers
// are pure.

/**
 * Parses run one at a time, each after the event loop has had a turn, so however many
 * messages arrive together the loop is never held for more than one bounded parse; at most
 * `maxWaiting` wait, and a message beyond that is refused (AR, retry later) before any work.
 */
export class ParseQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  constructor(private readonly maxWaiting: number) {}

  /** The task's result, or null when the queue is full. */
  async run<T>(task: () => T): Promise<{ value: T } | null> {
    if (this.waiting >= this.maxWaiting) return null;
    this.waiting++;
    const turn = this.tail.then(() => new Promise<void>((resolve) => setImmediate(resolve)));
    this.tail = turn;
    try {
      await turn;
    } finally {
      this.waiting--;
    }
    return { value: task() };
  }
}
