// The sender-facing side of the PID-7 birth-date check. Pure: the caller gives the time.
//
// An ACK that differed when PID-7 was wrong let anyone holding a gateway key (or none, over
// MLLP) find a patient's birth date by guessing: the check must answer the sender nothing.
// What is left for a prober is this limiter's own state, so it allows few mismatches per
// sender and device and, once over, refuses every message of that device from that sender
// that carries a birth date, whether it matches or not: refusing only the mismatching ones
// would hand the oracle back at full speed. Keyed by device too because a relay carries
// thousands of devices: one enrolled with a wrong birth date must hold back that device's
// messages only (flagged on its patient's page), not every patient's behind the same relay.

/** Birth-date mismatches one sender may cause for one device within the window before it is refused. */
export const IDENTITY_MISMATCH_LIMIT = 5;
/** The sliding window over which mismatches are counted, in milliseconds (1 hour). */
export const IDENTITY_MISMATCH_WINDOW_MS = 60 * 60 * 1000;
/** Senders tracked at once; beyond it the quietest are forgotten so memory stays bounded. */
export const IDENTITY_MISMATCH_MAX_SENDERS = 10_000;

/**
 * MSA-3 / ERR-8 of a refused message. Says nothing of the birth date, the patient or the
 * device, and is the same whichever message was refused.
 */
export const IDENTITY_REFUSED_REASON = 'too many rejected messages for this device; resend later or contact the clinic';

/** Who sent a message: the gateway over HTTP; over MLLP, which has no credentials, the peer address. */
export type IdcoSender =
  | { readonly transport: 'http'; readonly gatewayId: number }
  | { readonly transport: 'mllp'; readonly address: string };

export function senderKey(sender: IdcoSender, device: string): string {
  return `${sender.transport === 'http' ? `gw:${sender.gatewayId}` : `mllp:${sender.address}`}|${device}`;
}

/**
 * Mismatches per sender in a sliding window, in process memory: a restart forgets them and
 * each instance counts its own, so N instances allow up to N times the limit. Refused
 * messages do not count, so a sender is never refused for longer than the window after its
 * last accepted mismatch.
 */
export class IdentityMismatchLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly limit = IDENTITY_MISMATCH_LIMIT,
    private readonly windowMs = IDENTITY_MISMATCH_WINDOW_MS,
    private readonly maxSenders = IDENTITY_MISMATCH_MAX_SENDERS,
  ) {}

  /** Milliseconds until the sender may send a birth date for the device again; 0 when it may now. */
  refusedFor(sender: IdcoSender, device: string, now: number): number {
    const hits = this.current(senderKey(sender, device), now);
    if (hits.length < this.limit) return 0;
    return Math.max(1, hits[hits.length - this.limit]! + this.windowMs - now);
  }

  /** Count one mismatch; answers how many the sender has for the device in the window, this one included. */
  record(sender: IdcoSender, device: string, now: number): number {
    const key = senderKey(sender, device);
    const hits = this.current(key, now);
    hits.push(now);
    // Re-inserted so that the map's order is least recently seen first, for the eviction.
    this.hits.delete(key);
    this.hits.set(key, hits);
    if (this.hits.size > this.maxSenders) this.evict(now);
    return hits.length;
  }

  private current(key: string, now: number): number[] {
    const hits = this.hits.get(key);
    if (!hits) return [];
    while (hits.length > 0 && hits[0]! <= now - this.windowMs) hits.shift();
    if (hits.length === 0) this.hits.delete(key);
    return hits;
  }

  private evict(now: number): void {
    for (const key of [...this.hits.keys()]) this.current(key, now);
    for (const key of this.hits.keys()) {
      if (this.hits.size <= this.maxSenders) break;
      this.hits.delete(key);
    }
  }
}
