// Back-pressure shared by all gateways of a run: the producer pauses while too many readings
// are waiting for acks, so memory stays bounded whatever the speed of the service.
export class FlowControl {
  outstanding = 0;
  private waiters: Array<() => void> = [];

  constructor(readonly limit: number) {}

  add(n: number): void {
    this.outstanding += n;
  }

  settle(n: number): void {
    this.outstanding -= n;
    this.wake();
  }

  /** Wakes every waiter: something settled, or a gateway failed and the producer must look. */
  wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves once outstanding readings are under the limit, or on the next wake-up. */
  async room(): Promise<void> {
    if (this.outstanding < this.limit) return;
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
}
