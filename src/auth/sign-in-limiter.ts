// Failed sign-ins, counted per key (an account, a client address) in a sliding
// window, in memory. Pure apart from the clock, which is passed in.

export interface LimiterOptions {
  /** Failures allowed within the window; the next attempt is refused. */
  readonly maxFailures: number;
  readonly windowMs: number;
  /** Keys tracked at most; the oldest are forgotten first (bounds memory under a spray). */
  readonly maxKeys?: number;
  readonly now?: () => number;
}

export class FailureLimiter {
  private readonly failures = new Map<string, number[]>();
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(private readonly opts: LimiterOptions) {
    this.maxKeys = opts.maxKeys ?? 100_000;
    this.now = opts.now ?? Date.now;
  }

  /** 0 when an attempt may go ahead, else how many ms until it may. */
  retryAfterMs(key: string): number {
    const times = this.recent(key);
    if (times.length < this.opts.maxFailures) return 0;
    // The attempt is allowed again once enough failures have left the window.
    const oldestThatCounts = times[times.length - this.opts.maxFailures]!;
    return Math.max(1, oldestThatCounts + this.opts.windowMs - this.now());
  }

  fail(key: string): void {
    const times = this.recent(key);
    times.push(this.now());
    // Re-insert so Map order is least recently failed first.
    this.failures.delete(key);
    this.failures.set(key, times.slice(-this.opts.maxFailures));
    while (this.failures.size > this.maxKeys) this.failures.delete(this.failures.keys().next().value!);
  }

  reset(key: string): void {
    this.failures.delete(key);
  }

  get size(): number {
    return this.failures.size;
  }

  private recent(key: string): number[] {
    const times = this.failures.get(key);
    if (!times) return [];
    const since = this.now() - this.opts.windowMs;
    const kept = times.filter((t) => t > since);
    if (kept.length === 0) this.failures.delete(key);
    else if (kept.length !== times.length) this.failures.set(key, kept);
    return kept;
  }
}

export interface SignInLimits {
  readonly account: FailureLimiter;
  readonly address: FailureLimiter;
}

/**
 * 5 failures per account and 50 per client address in 15 minutes. The address
 * limit is looser: a clinic's staff may share one address behind NAT.
 */
export function defaultSignInLimits(now: () => number = Date.now): SignInLimits {
  const windowMs = 15 * 60_000;
  return {
    account: new FailureLimiter({ maxFailures: 5, windowMs, now }),
    address: new FailureLimiter({ maxFailures: 50, windowMs, now }),
  };
}
