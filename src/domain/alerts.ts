// The alert's stored vocabulary and row, shared by the store that writes and reads them
// and the alert modules that apply the rules and present them. Types only.

export type AlertStatus = 'open' | 'acknowledged' | 'resolved';
export type LifecycleEventType = 'acknowledged' | 'resolved' | 'assigned' | 'snoozed' | 'commented' | 'escalated' | 'outcome';

/** One alerts row as the store reads it (src/store/alerts.ts). */
export interface AlertRow {
  readonly id: number;
  readonly serial: string;
  readonly site: string;
  readonly patient: string | null;
  readonly kind: string;
  readonly priority: 'low' | 'medium' | 'high';
  readonly status: 'open' | 'acknowledged' | 'resolved';
  readonly opened_at: Date;
  readonly last_seen_at: Date;
  readonly raised_at: Date;
  readonly occurrences: number;
  readonly trigger: { seq: number; metric: string; value: number; at: string };
  readonly score: number;
  readonly summary: string;
  readonly evidence: Record<string, number | string>;
  readonly assignee: string | null;
  readonly snoozed_until: Date | null;
  readonly escalation_level: number;
  /** What the clinic did when it resolved the alert; null until resolved. */
  readonly resolution: string | null;
  /** What the resolved alert turned out to be (outcomes.ts); null until recorded. */
  readonly outcome: string | null;
}

/** How a clinician resolved an alert (alerts contract v1). */
export const RESOLUTIONS = ['actioned', 'not_actionable', 'patient_contacted', 'duplicate', 'other'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];
