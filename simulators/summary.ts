// The figures a run reports at the end.
import type { Cohort } from './cohort.ts';
import type { GatewayStats } from './gateway/client.ts';

/** The gateways' counters added up (`enqueued` is reported as `readings`), and the run's own figures. */
export interface SimulationSummary extends Omit<GatewayStats, 'enqueued'> {
  mode: 'send' | 'file';
  patients: number;
  days: number;
  truthEvents: number;
  gateways: number;
  transmissions: number;
  /** Readings generated and handed over (file: written). */
  readings: number;
  lateTransmissions: number;
  lateFlushes: number;
  aborted: boolean;
  elapsedMs: number;
  readingsPerSecond: number;
}

export function emptySummary(cohort: Cohort, mode: 'send' | 'file'): SimulationSummary {
  return {
    mode, patients: cohort.patients.length, days: cohort.options.days, truthEvents: cohort.truth.length,
    gateways: 0, transmissions: 0, readings: 0, sent: 0, accepted: 0, duplicates: 0, rejected: 0, resent: 0,
    confirmedByStatus: 0, skippedOnResume: 0, failed: 0, retries: 0, reconnects: 0, lateTransmissions: 0,
    lateFlushes: 0, errors: {}, rejectCodes: {}, aborted: false, elapsedMs: 0, readingsPerSecond: 0,
  };
}

export function addGatewayStats(s: SimulationSummary, g: GatewayStats): void {
  s.readings += g.enqueued;
  s.sent += g.sent;
  s.accepted += g.accepted;
  s.duplicates += g.duplicates;
  s.rejected += g.rejected;
  s.resent += g.resent;
  s.confirmedByStatus += g.confirmedByStatus;
  s.skippedOnResume += g.skippedOnResume;
  s.failed += g.failed;
  s.retries += g.retries;
  s.reconnects += g.reconnects;
  for (const [k, v] of Object.entries(g.errors)) s.errors[k] = (s.errors[k] ?? 0) + v;
  for (const [k, v] of Object.entries(g.rejectCodes)) s.rejectCodes[k] = (s.rejectCodes[k] ?? 0) + v;
}
