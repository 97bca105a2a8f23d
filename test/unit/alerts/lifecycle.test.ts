import { describe, expect, it } from 'vitest';
import {
  ALLOWED_FROM, EVENT_OF, checkTransition, isAllowed, parseAcknowledge, parseAssign, parseComment, parseCommentRequest,
  parseOutcomeRequest, parseResolve, parseRfc3339, parseSnooze, type AlertStatus, type LifecycleAction,
} from '../../../src/alerts/lifecycle.ts';
import { ServiceError } from '../../../src/errors.ts';

const STATUSES: AlertStatus[] = ['open', 'acknowledged', 'resolved'];
const ACTIONS: LifecycleAction[] = ['acknowledge', 'resolve', 'assign', 'snooze', 'comment', 'outcome'];

/** The contract's table, written out in full so a change to the rules is a visible change here. */
const EXPECTED: Record<LifecycleAction, Record<AlertStatus, boolean>> = {
  acknowledge: { open: true, acknowledged: false, resolved: false },
  resolve: { open: true, acknowledged: true, resolved: false },
  assign: { open: true, acknowledged: true, resolved: false },
  snooze: { open: true, acknowledged: true, resolved: false },
  comment: { open: true, acknowledged: true, resolved: true },
  outcome: { open: false, acknowledged: false, resolved: true },
};

function codeOf(f: () => unknown): string | null {
  try {
    f();
    return null;
  } catch (e) {
    if (e instanceof ServiceError) return e.code;
    throw e;
  }
}

describe('transitions', () => {
  for (const action of ACTIONS) {
    for (const status of STATUSES) {
      const allowed = EXPECTED[action][status];
      it(`${action} on ${status}: ${allowed ? 'allowed' : '409 invalid_transition'}`, () => {
        expect(isAllowed(action, status)).toBe(allowed);
        expect(codeOf(() => checkTransition(action, status))).toBe(allowed ? null : 'invalid_transition');
      });
    }
  }

  it('each action writes its own event type', () => {
    expect(EVENT_OF).toEqual({ acknowledge: 'acknowledged', resolve: 'resolved', assign: 'assigned', snooze: 'snoozed', comment: 'commented', outcome: 'outcome' });
    for (const a of ACTIONS) expect(ALLOWED_FROM[a].length).toBeGreaterThan(0);
  });

  it('says what was refused', () => {
    expect(() => checkTransition('acknowledge', 'resolved')).toThrow('cannot acknowledge an alert that is resolved');
  });
});

describe('comments', () => {
  it('are trimmed and otherwise kept as given, markup included', () => {
    expect(parseComment('  <b>called</b> & "left" a message\n', true)).toBe('<b>called</b> & "left" a message');
  });
  it('are 1 to 2000 characters, counted in code points', () => {
    expect(parseComment('x'.repeat(2000), true)).toHaveLength(2000);
    expect(codeOf(() => parseComment('x'.repeat(2001), true))).toBe('bad_message');
    expect(parseComment('🫀'.repeat(2000), true)).toHaveLength(4000);
    expect(codeOf(() => parseComment('   ', true))).toBe('bad_message');
    expect(codeOf(() => parseComment('', false))).toBe('bad_message');
  });
  it('refuse what is not a string, and characters PostgreSQL cannot store', () => {
    expect(codeOf(() => parseComment(12, true))).toBe('bad_message');
    expect(codeOf(() => parseComment('a\u0000b', true))).toBe('bad_message');
    expect(codeOf(() => parseComment('a\uD800b', true))).toBe('bad_message');
  });
  it('are optional on acknowledge and resolve, required on comment', () => {
    expect(parseAcknowledge(undefined)).toEqual({ comment: null });
    expect(parseAcknowledge({})).toEqual({ comment: null });
    expect(parseAcknowledge({ comment: ' seen ' })).toEqual({ comment: 'seen' });
    expect(codeOf(() => parseCommentRequest({}))).toBe('bad_message');
    expect(parseCommentRequest({ comment: 'ok' })).toEqual({ comment: 'ok' });
  });
});

describe('bodies', () => {
  it('must be objects without unknown fields', () => {
    for (const body of [[], 'text', 3, { comment: 'x', extra: 1 }]) expect(codeOf(() => parseAcknowledge(body)), JSON.stringify(body)).toBe('bad_message');
  });
  it('resolve takes one of the five resolutions', () => {
    expect(parseResolve({ resolution: 'patient_contacted' })).toEqual({ resolution: 'patient_contacted', outcome: null, comment: null });
    for (const r of [undefined, 'fixed', 'ACTIONED', 1]) expect(codeOf(() => parseResolve({ resolution: r })), String(r)).toBe('bad_message');
  });
  it('resolve takes an optional outcome from the vocabulary', () => {
    expect(parseResolve({ resolution: 'actioned', outcome: 'artefact' })).toEqual({ resolution: 'actioned', outcome: 'artefact', comment: null });
    for (const o of [null, '', 'ARTEFACT', 'confirmed', 1, ['artefact'], { artefact: true }, 'toString', '__proto__']) {
      expect(codeOf(() => parseResolve({ resolution: 'actioned', outcome: o })), JSON.stringify(o)).toBe('bad_message');
    }
  });
  it('outcome takes a required outcome and an optional comment', () => {
    expect(parseOutcomeRequest({ outcome: 'other_cause', comment: ' pneumonia ' })).toEqual({ outcome: 'other_cause', comment: 'pneumonia' });
    expect(parseOutcomeRequest({ outcome: 'known_condition' })).toEqual({ outcome: 'known_condition', comment: null });
    for (const body of [{}, { outcome: null }, { outcome: 'nope' }, { outcome: 'artefact', resolution: 'actioned' }, { comment: 'x' }]) {
      expect(codeOf(() => parseOutcomeRequest(body)), JSON.stringify(body)).toBe('bad_message');
    }
  });
  it('assign takes a user id or null, and nothing else', () => {
    expect(parseAssign({ assignee: 7 })).toEqual({ assignee: 7 });
    expect(parseAssign({ assignee: null })).toEqual({ assignee: null });
    for (const body of [{}, { assignee: '7' }, { assignee: 0 }, { assignee: -1 }, { assignee: 1.5 }, { assignee: 2 ** 60 }]) {
      expect(codeOf(() => parseAssign(body)), JSON.stringify(body)).toBe('bad_message');
    }
  });
});

describe('snooze', () => {
  const now = Date.UTC(2026, 2, 4, 8);
  const week = 7 * 24 * 3_600_000;
  it('takes an RFC 3339 time in the future, at most the maximum ahead', () => {
    expect(parseSnooze({ until: '2026-03-04T09:00:00Z' }, now, week)).toEqual({ until: now + 3_600_000 });
    expect(parseSnooze({ until: '2026-03-04T10:30:00.5+02:00' }, now, week)).toEqual({ until: now + 1_800_500 });
    expect(parseSnooze({ until: '2026-03-11T08:00:00Z' }, now, week)).toEqual({ until: now + week });
  });
  it('refuses the past, the present, beyond the maximum, and what is not a date-time', () => {
    for (const until of ['2026-03-04T07:59:59Z', '2026-03-04T08:00:00Z', '2026-03-11T08:00:01Z', 'tomorrow', '2026-03-05', '2026-03-05T08:00:00',
      '2026-02-30T08:00:00Z', '2026-03-05T25:00:00Z', 1772611200000, null]) {
      expect(codeOf(() => parseSnooze({ until }, now, week)), String(until)).toBe('bad_message');
    }
    expect(codeOf(() => parseSnooze({}, now, week))).toBe('bad_message');
  });
  it('parses RFC 3339 and nothing looser', () => {
    expect(parseRfc3339('2026-03-04T08:00:00Z')).toBe(now);
    expect(parseRfc3339('2026-03-04t08:00:00z')).toBe(now);
    expect(parseRfc3339('2026-03-04T09:00:00+01:00')).toBe(now);
    expect(parseRfc3339('Wed, 04 Mar 2026 08:00:00 GMT')).toBeNull();
    expect(parseRfc3339('2026-3-4T08:00:00Z')).toBeNull();
  });
});
