// The alert object of the alerts contract (version 1), from a stored row. Pure.
import { RESOLUTIONS, type AlertRow, type Resolution } from '../domain/alerts.ts';
import type { AlertKind } from '../domain/types.ts';
import { isOutcome, type Outcome } from '../domain/outcomes.ts';

export type { AlertRow } from '../domain/alerts.ts';

export interface Alert {
  readonly id: string;
  readonly patientId: string | null;
  readonly device: string;
  readonly site: string;
  readonly kind: AlertKind;
  readonly priority: 'low' | 'medium' | 'high';
  readonly status: 'open' | 'acknowledged' | 'resolved';
  readonly openedAt: string;
  readonly lastSeenAt: string;
  readonly raisedAt: string;
  readonly occurrences: number;
  readonly trigger: { seq: number; metric: string; value: number; at: string };
  readonly score: number;
  readonly summary: string;
  readonly evidence: Record<string, number | string>;
  readonly assignee: string | null;
  readonly snoozedUntil: string | null;
  readonly escalationLevel: number;
  /** The resolution it was resolved with; null until resolved (an addition to the contract's object). */
  readonly resolution: Resolution | null;
  /** What the resolved alert turned out to be; null until recorded (an addition to the contract). */
  readonly outcome: Outcome | null;
}

/** `a-000123`: the contract's id form; zero-padded to 6 digits, longer when it must be. */
export function alertId(id: number): string {
  return `a-${String(id).padStart(6, '0')}`;
}

/** The numeric id of `a-000123` (or of a bare `123`); null when it is neither. */
export function parseAlertId(s: string): number | null {
  const m = /^(?:a-)?(\d{1,15})$/.exec(s);
  if (!m) return null;
  const n = Number(m[1]);
  return n > 0 && Number.isSafeInteger(n) ? n : null;
}

// A score is stored as a 4-byte real: round away its float noise (0.87 reads back 0.8700000047).
const round3 = (x: number) => Math.round(x * 1000) / 1000;

export function presentAlert(r: AlertRow): Alert {
  return {
    id: alertId(r.id),
    patientId: r.patient,
    device: r.serial,
    site: r.site,
    kind: r.kind as AlertKind,
    priority: r.priority,
    status: r.status,
    openedAt: r.opened_at.toISOString(),
    lastSeenAt: r.last_seen_at.toISOString(),
    raisedAt: r.raised_at.toISOString(),
    occurrences: r.occurrences,
    trigger: r.trigger,
    score: round3(r.score),
    summary: r.summary,
    evidence: r.evidence,
    assignee: r.assignee,
    snoozedUntil: r.snoozed_until ? r.snoozed_until.toISOString() : null,
    escalationLevel: r.escalation_level,
    resolution: (RESOLUTIONS as readonly string[]).includes(r.resolution ?? '') ? (r.resolution as Resolution) : null,
    outcome: isOutcome(r.outcome) ? r.outcome : null,
  };
}
