import { ServiceError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { createBudget, leaseTokens, type Lease } from '../store/gateway-budgets.ts';
import { chargeNeed, leaseFor, mostAvailable, retryAfterMs, type LeaseRequest } from './rate-limit.ts';

// Each gateway's reading budget is one token bucket in PostgreSQL (gateway_budgets), so that
// every instance of the service spends the same budget. A round trip per batch would cost
// too much, so an instance leases a chunk (a quarter second of the rate) and spends it in
// memory; what it holds unspent is at most one chunk, so N instances overspend by at most
// N chunks per gateway.

export interface BudgetOptions {
  /** Readings per second per gateway; 0 or less: no limit. */
  readonly ratePerSec: number;
  readonly burst: number;
  /** The wait answered with `unavailable` when the database cannot be asked. */
  readonly unavailableRetryMs: number;
}

interface Allowance {
  tokens: number;
  /** Settles when this instance's lease in flight for the gateway does. */
  leasing: Promise<void> | null;
  /**
   * What the shared bucket held at the last refused lease, and this process's time when
   * that lease was sent (no later than the database read it): a gateway that keeps sending
   * while refused is refused from memory until the bucket can cover it.
   */
  refused: { available: number; at: number } | null;
}

export class GatewayBudgets {
  private readonly allowances = new Map<number, Allowance>();

  constructor(
    private readonly db: Db,
    private readonly opts: BudgetOptions,
    /** Monotonic milliseconds; only differences are used. */
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Take `cost` readings from the gateway's budget, or throw ServiceError `rate_limited`
   * (with the wait) when the shared bucket cannot cover it, `unavailable` when the
   * database cannot be asked: never let a batch through unlimited.
   */
  async charge(gatewayId: number, cost: number): Promise<void> {
    const { ratePerSec: rate, burst } = this.opts;
    if (rate <= 0 || cost <= 0) return;
    let a = this.allowances.get(gatewayId);
    if (!a) this.allowances.set(gatewayId, (a = { tokens: 0, leasing: null, refused: null }));
    // One lease at a time per gateway: a charge that arrives meanwhile may fit what it brings.
    while (a.leasing) await a.leasing;
    const need = chargeNeed(cost, burst);
    const request = leaseFor(need, a.tokens, rate, burst);
    if (!request) {
      a.tokens -= need;
      return;
    }
    const limited = (available: number) =>
      new ServiceError('rate_limited', `more than ${rate} readings/s from this gateway`, retryAfterMs(request.atLeast, available, rate));
    const sentAt = this.now();
    if (a.refused) {
      const most = mostAvailable(a.refused.available, sentAt - a.refused.at, rate, burst);
      if (request.atLeast > most) throw limited(most);
    }
    const leasing = this.lease(gatewayId, request);
    a.leasing = leasing.then(() => undefined, () => undefined);
    try {
      const lease = await leasing;
      if (lease.granted <= 0) {
        a.refused = { available: lease.available, at: sentAt };
        throw limited(lease.available);
      }
      a.refused = null;
      a.tokens += lease.granted - need;
    } finally {
      a.leasing = null;
    }
  }

  private async lease(gatewayId: number, r: LeaseRequest): Promise<Lease> {
    const { ratePerSec: rate, burst } = this.opts;
    try {
      let lease = await leaseTokens(this.db, gatewayId, r.atLeast, r.atMost, rate, burst);
      if (!lease) {
        // The gateway's first lease on this database.
        await createBudget(this.db, gatewayId, burst);
        lease = await leaseTokens(this.db, gatewayId, r.atLeast, r.atMost, rate, burst);
      }
      if (lease) return lease;
    } catch {
      // Below: refused as when storage is down.
    }
    throw new ServiceError('unavailable', 'storage unavailable', this.opts.unavailableRetryMs);
  }
}
