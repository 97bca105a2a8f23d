// The alert lifecycle's rules, pure: which action each status allows, and the shape of
// each request body. The routes apply them; the store re-checks the status in SQL.
import type { AlertStatus, LifecycleEventType } from '../domain/alerts.ts';
import { ServiceError } from '../errors.ts';
import { OUTCOMES, isOutcome, type Outcome } from '../domain/outcomes.ts';

export type { AlertStatus, LifecycleEventType } from '../domain/alerts.ts';
export type LifecycleAction = 'acknowledge' | 'resolve' | 'assign' | 'snooze' | 'comment' | 'outcome';

import { RESOLUTIONS, type Resolution } from '../domain/alerts.ts';
export { RESOLUTIONS, type Resolution } from '../domain/alerts.ts';

export const MAX_COMMENT_LENGTH = 2000;

/**
 * The statuses each action may start from. A clinician may resolve an open alert
 * without acknowledging it first; a resolved alert takes comments and its outcome, which is
 * often known only days later, and nothing else.
 */
export const ALLOWED_FROM: Readonly<Record<LifecycleAction, readonly AlertStatus[]>> = {
  acknowledge: ['open'],
  resolve: ['open', 'acknowledged'],
  assign: ['open', 'acknowledged'],
  snooze: ['open', 'acknowledged'],
  comment: ['open', 'acknowledged', 'resolved'],
  outcome: ['resolved'],
};

export const EVENT_OF: Readonly<Record<LifecycleAction, LifecycleEventType>> = {
  acknowledge: 'acknowledged',
  resolve: 'resolved',
  assign: 'assigned',
  snooze: 'snoozed',
  comment: 'commented',
  outcome: 'outcome',
};

export function isAllowed(action: LifecycleAction, status: AlertStatus): boolean {
  return ALLOWED_FROM[action].includes(status);
}

/** Throws 409 `invalid_transition` unless `action` may be taken on an alert in `status`. */
export function checkTransition(action: LifecycleAction, status: AlertStatus): void {
  if (!isAllowed(action, status)) throw new ServiceError('invalid_transition', `cannot ${action} an alert that is ${status}`);
}

export interface AcknowledgeRequest {
  readonly comment: string | null;
}
export interface ResolveRequest {
  readonly resolution: Resolution;
  /** What the alert turned out to be, when already known; null when not given. */
  readonly outcome: Outcome | null;
  readonly comment: string | null;
}
export interface OutcomeRequest {
  readonly outcome: Outcome;
  readonly comment: string | null;
}
export interface AssignRequest {
  /** A user id; null unassigns. */
  readonly assignee: number | null;
}
export interface SnoozeRequest {
  /** Milliseconds since the epoch. */
  readonly until: number;
}
export interface CommentRequest {
  readonly comment: string;
}

type Body = Record<string, unknown>;

/** The body as an object with only the given keys (an absent body is an empty one). */
function objectBody(raw: unknown, keys: readonly string[]): Body {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ServiceError('bad_message', 'the body must be a JSON object');
  const body = raw as Body;
  const extra = Object.keys(body).find((k) => !keys.includes(k));
  if (extra !== undefined) throw new ServiceError('bad_message', `unknown field: ${extra.slice(0, 40)} (expected ${keys.join(', ')})`);
  return body;
}

/**
 * A comment: trimmed, 1..2000 characters (code points), otherwise stored as given.
 * NUL and lone surrogates are refused: PostgreSQL cannot store them.
 */
export function parseComment(raw: unknown, required: boolean): string | null {
  if (raw === undefined || raw === null) {
    if (required) throw new ServiceError('bad_message', 'comment is required');
    return null;
  }
  if (typeof raw !== 'string') throw new ServiceError('bad_message', 'comment must be a string');
  const text = raw.trim();
  if (text.length === 0) throw new ServiceError('bad_message', 'comment must not be empty');
  if ([...text].length > MAX_COMMENT_LENGTH) throw new ServiceError('bad_message', `comment must be at most ${MAX_COMMENT_LENGTH} characters`);
  if (text.includes('\u0000') || !text.isWellFormed()) throw new ServiceError('bad_message', 'comment contains characters that cannot be stored');
  return text;
}

export function parseAcknowledge(raw: unknown): AcknowledgeRequest {
  const b = objectBody(raw, ['comment']);
  return { comment: parseComment(b.comment, false) };
}

export function parseResolve(raw: unknown): ResolveRequest {
  const b = objectBody(raw, ['resolution', 'outcome', 'comment']);
  if (typeof b.resolution !== 'string' || !(RESOLUTIONS as readonly string[]).includes(b.resolution)) {
    throw new ServiceError('bad_message', `resolution must be one of ${RESOLUTIONS.join(', ')}`);
  }
  // Optional: the contract's clients resolve without one, and an outcome can be recorded later.
  const outcome = b.outcome === undefined ? null : parseOutcome(b.outcome);
  return { resolution: b.resolution as Resolution, outcome, comment: parseComment(b.comment, false) };
}

function parseOutcome(raw: unknown): Outcome {
  if (!isOutcome(raw)) throw new ServiceError('bad_message', `outcome must be one of ${OUTCOMES.join(', ')}`);
  return raw;
}

/** Recording or changing the outcome of a resolved alert: `{outcome, comment?}`. */
export function parseOutcomeRequest(raw: unknown): OutcomeRequest {
  const b = objectBody(raw, ['outcome', 'comment']);
  if (b.outcome === undefined) throw new ServiceError('bad_message', 'outcome is required');
  return { outcome: parseOutcome(b.outcome), comment: parseComment(b.comment, false) };
}

export function parseAssign(raw: unknown): AssignRequest {
  const b = objectBody(raw, ['assignee']);
  if (!('assignee' in b)) throw new ServiceError('bad_message', 'assignee is required (a user id, or null to unassign)');
  if (b.assignee === null) return { assignee: null };
  if (typeof b.assignee !== 'number' || !Number.isSafeInteger(b.assignee) || b.assignee <= 0) {
    throw new ServiceError('bad_message', 'assignee must be a user id (a positive whole number) or null');
  }
  return { assignee: b.assignee };
}

// RFC 3339 date-time: a full date, a time, and an explicit offset (Z or ±hh:mm).
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** Milliseconds since the epoch of an RFC 3339 date-time, or null when it is not one. */
export function parseRfc3339(s: string): number | null {
  const m = RFC3339.exec(s);
  if (!m) return null;
  const [, y, mo, d, h, mi, sec] = m.map(Number) as [number, number, number, number, number, number, number];
  // Date.parse rolls 2026-02-30 over to March; a real date survives the round trip.
  const day = new Date(Date.UTC(y, mo - 1, d));
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d) return null;
  if (h > 23 || mi > 59 || sec > 59) return null;
  const ms = Date.parse(s.replace(' ', 'T'));
  return Number.isFinite(ms) ? ms : null;
}

/** A snooze ends strictly after `now` and at most `maxMs` after it: a snooze always expires. */
export function parseSnooze(raw: unknown, now: number, maxMs: number): SnoozeRequest {
  const b = objectBody(raw, ['until']);
  const until = typeof b.until === 'string' ? parseRfc3339(b.until) : null;
  if (until === null) throw new ServiceError('bad_message', 'until must be an RFC 3339 date-time with an offset, e.g. 2026-03-04T08:00:00Z');
  if (until <= now) throw new ServiceError('bad_message', 'until must be in the future');
  if (until - now > maxMs) throw new ServiceError('bad_message', `until must be at most ${Math.round(maxMs / 3_600_000)} hours ahead`);
  return { until };
}

export function parseCommentRequest(raw: unknown): CommentRequest {
  const b = objectBody(raw, ['comment']);
  return { comment: parseComment(b.comment, true) as string };
}
