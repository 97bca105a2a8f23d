// A gateway client's options and counters (the counters are summed into the run's summary).
import type { FlowControl } from './flow.ts';

export interface GatewayClientOptions {
  readonly url: string;
  readonly key: string;
  /** PEM of the CA to trust over wss:// (e.g. the development CA of TLS=dev); unset: the system's. */
  readonly ca?: string;
  /** Names the gateway in batch ids and log lines. */
  readonly name: string;
  readonly maxBatch?: number;
  /** Batches sent and not yet acked (including those waiting out a retryAfterMs). */
  readonly window?: number;
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  readonly statusTimeoutMs?: number;
  /** Drop the connection if the service sends nothing (not even a ping) for this long. */
  readonly idleTimeoutMs?: number;
  /** Devices to ask about on the first connect; readings the service already holds are skipped. */
  readonly resumeDevices?: readonly string[];
  readonly flow?: FlowControl;
  readonly log?: (line: string) => void;
}

export interface GatewayStats {
  enqueued: number;
  sent: number;
  resent: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  /** Unacked readings the service turned out to hold (learned from `status`). */
  confirmedByStatus: number;
  /** Readings skipped at start because the service already held them. */
  skippedOnResume: number;
  /** Readings of batches refused by a non-retryable message-level error. */
  failed: number;
  retries: number;
  reconnects: number;
  errors: Record<string, number>;
  rejectCodes: Record<string, number>;
}

export const emptyStats = (): GatewayStats => ({
  enqueued: 0, sent: 0, resent: 0, accepted: 0, duplicates: 0, rejected: 0, confirmedByStatus: 0,
  skippedOnResume: 0, failed: 0, retries: 0, reconnects: 0, errors: {}, rejectCodes: {},
});

export const bump = (m: Record<string, number>, k: string, n = 1): void => {
  m[k] = (m[k] ?? 0) + n;
};
