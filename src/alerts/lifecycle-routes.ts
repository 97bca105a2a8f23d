import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type TSchema } from '@sinclair/typebox';
import { ServiceError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { getAlert, type StoredAlert } from '../store/alerts.ts';
import { alertStatus, applyTransition, eligibleAssignee, type AlertChange, type AlertEventSink } from '../store/alert-lifecycle.ts';
import { recordAudit } from '../auth/audit.ts';
import { canSeeSite, requireUser, signedInUser, type SessionUser } from '../auth/guard.ts';
import type { SessionStore } from '../auth/sessions.ts';
import {
  ALLOWED_FROM, EVENT_OF, MAX_COMMENT_LENGTH, RESOLUTIONS, checkTransition, parseAcknowledge, parseAssign, parseCommentRequest, parseOutcomeRequest,
  parseResolve, parseSnooze, type LifecycleAction,
} from './lifecycle.ts';
import { parseAlertId, presentAlert } from './present.ts';
import { sealComment } from './comments.ts';
import type { Vault } from '../crypto/vault.ts';
import { OUTCOMES } from '../domain/outcomes.ts';
import { AlertIdParam, AlertSchema, errorResponses, JSON_BODY, Nullable, SIGNED_IN_CHANGE } from '../http/schemas.ts';

export interface LifecycleRoutesOptions {
  readonly db: Db;
  readonly sessions: SessionStore;
  /** Seals comments at rest. */
  readonly vault: Vault;
  /** Where committed events go (the app's AlertFeed). */
  readonly feed: AlertEventSink;
  /** The longest snooze, ms. */
  readonly maxSnoozeMs: number;
  /** Milliseconds since the epoch, for checking snooze times; injectable for tests. */
  readonly now?: () => number;
}

/** A comment is at most 2,000 characters; 32 KiB leaves room for JSON escapes of any of them. */
const BODY_LIMIT = 32 * 1024;

/** What a validated request changes, and the data its history event keeps. */
interface Step {
  readonly change: AlertChange;
  readonly data: Record<string, unknown>;
}

const NOT_ASSIGNABLE = 'assignee must be an enabled clinician of the alert’s site, or yourself';

const withComment = (data: Record<string, unknown>, comment: string | null) => (comment === null ? data : { ...data, comment });

// The bodies' shapes. What a shape cannot say (trimming, lengths in characters after it,
// whether a time is ahead, whom an id names) lifecycle.ts checks after them, as before.
const Comment = (description: string) => Type.String({ description: `${description}; 1 to ${MAX_COMMENT_LENGTH} characters after trimming` });
const Outcome = (description: string) => Type.Unsafe<string>({ type: 'string', enum: [...OUTCOMES], description });
const BODIES: Record<LifecycleAction, TSchema> = {
  // An absent (or null) body is an empty one.
  acknowledge: Nullable(Type.Object({ comment: Type.Optional(Nullable(Comment('optional'))) }, { additionalProperties: false })),
  resolve: Type.Object(
    {
      resolution: Type.Unsafe<string>({ type: 'string', enum: [...RESOLUTIONS] }),
      outcome: Type.Optional(Outcome('optional: what the alert turned out to be, if already known')),
      comment: Type.Optional(Nullable(Comment('optional'))),
    },
    { additionalProperties: false },
  ),
  assign: Type.Object(
    { assignee: Nullable(Type.Integer({ minimum: 1, description: 'user id of an enabled clinician of the alert’s site, or of the caller; null unassigns' })) },
    { additionalProperties: false },
  ),
  snooze: Type.Object(
    { until: Type.String({ format: 'date-time', description: 'an RFC 3339 date-time with an offset, e.g. 2026-03-04T08:00:00Z' }) },
    { additionalProperties: false },
  ),
  comment: Type.Object({ comment: Comment('required') }, { additionalProperties: false }),
  outcome: Type.Object(
    { outcome: Outcome('what the resolved alert turned out to be; replaces an earlier one'), comment: Type.Optional(Nullable(Comment('optional'))) },
    { additionalProperties: false },
  ),
};

/**
 * The alert lifecycle (alerts contract v1): acknowledge, resolve, assign, snooze and
 * comment. Clinicians of the alert's site and admins; each change is one transaction
 * (alerts row, history event, audit row) and is published on the feed after commit.
 */
export const lifecycleRoutes: FastifyPluginAsyncTypebox<LifecycleRoutesOptions> = async (app, { db, sessions, vault, feed, maxSnoozeMs, now = Date.now }) => {
  // onRequest: an unknown caller or another origin is refused before its body is read.
  const guard = requireUser(sessions, 'clinician', 'admin');
  /** The alert each request acts on, found before its body is validated. */
  const target = new WeakMap<FastifyRequest, StoredAlert>();

  const route = (
    action: LifecycleAction,
    description: string,
    step: (body: unknown, alert: StoredAlert, user: SessionUser) => Step | Promise<Step>,
  ) => {
    app.post(
      `/v1/alerts/:id/${action}`,
      {
        onRequest: guard,
        bodyLimit: BODY_LIMIT,
        // Which alert, and whether the action applies to it, come before the body's shape:
        // another site's alert is 404 whatever the body, a resolved one 409.
        preValidation: async (req) => {
          const user = signedInUser(req);
          const id = parseAlertId((req.params as { id: string }).id);
          const alert = id === null ? null : await getAlert(db, id);
          // Another site's alert is indistinguishable from none.
          if (!alert || !canSeeSite(user, alert.site_id)) throw new ServiceError('not_found', 'no such alert');
          await refusalAudited(req, action, alert, user, () => checkTransition(action, alert.status));
          target.set(req, alert);
        },
        schema: {
          tags: ['alerts'],
          summary: `${action} an alert`,
          description,
          params: Type.Object({ id: AlertIdParam }),
          body: BODIES[action],
          response: { 200: AlertSchema, ...errorResponses(...JSON_BODY, 'not_found', 'invalid_transition', ...SIGNED_IN_CHANGE) },
        },
      },
      async (req) => {
        const user = signedInUser(req);
        const alert = target.get(req);
        if (!alert) throw new ServiceError('internal');
        return refusalAudited(req, action, alert, user, async () => {
          const { change, data } = await step(req.body, alert, user);
          const { event, updated } = await db.transaction().execute(async (trx) => {
            const event = await applyTransition(trx, {
              alertId: alert.id, from: ALLOWED_FROM[action], change, event: { type: EVENT_OF[action], actorId: user.id, data: sealComment(vault, data) },
            });
            if (!event) {
              // Another clinician moved it first; our UPDATE matched nothing and wrote nothing.
              const status = await alertStatus(trx, alert.id);
              throw new ServiceError('invalid_transition', `the alert was changed meanwhile and is now ${status ?? 'gone'}`);
            }
            await recordAudit(trx, { user, action: `alert.${action}`, route: routeOf(req), deviceId: alert.device_id, detail: { cursor: event.cursor } });
            return { event, updated: await getAlert(trx, alert.id) };
          });
          feed.publish([event]);
          if (!updated) throw new ServiceError('internal');
          return presentAlert(updated);
        });
      },
    );
  };

  /** Runs `work`; a refused transition still showed the caller the alert's status: keep a trace of it. */
  const refusalAudited = async <T>(req: FastifyRequest, action: LifecycleAction, alert: StoredAlert, user: SessionUser, work: () => T | Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      if (err instanceof ServiceError && err.code === 'invalid_transition') {
        await recordAudit(db, { user, action: `alert.${action}`, route: routeOf(req), deviceId: alert.device_id, detail: { refused: err.code } });
      }
      throw err;
    }
  };

  route('acknowledge', 'Body `{"comment"?: string}`. Only an open alert can be acknowledged.', (body, _a, user) => {
    const { comment } = parseAcknowledge(body);
    return { change: { kind: 'acknowledge', userId: user.id }, data: withComment({}, comment) };
  });

  route('resolve', 'Body `{"resolution": "actioned"|"not_actionable"|"patient_contacted"|"duplicate"|"other", "outcome"?: <outcome>, "comment"?: string}`. An open alert may be resolved without being acknowledged first.', (body, _a, user) => {
    const { resolution, outcome, comment } = parseResolve(body);
    const data = outcome === null ? { resolution } : { resolution, outcome };
    return { change: { kind: 'resolve', userId: user.id, resolution, outcome }, data: withComment(data, comment) };
  });

  route('assign', 'Body `{"assignee": <user id> | null}`: an enabled clinician of the alert’s site, or the caller themself; null unassigns.', async (body, alert, caller) => {
    const { assignee } = parseAssign(body);
    if (assignee === null) return { change: { kind: 'assign', assigneeId: null }, data: { assignee: null, assigneeId: null } };
    const user = await eligibleAssignee(db, assignee, alert.site_id, caller);
    // One refusal for every id outside that set, whoever it names or if no one: it must not
    // tell an admin's id, another site's clinician or a disabled account from a free id.
    if (!user) throw new ServiceError('bad_message', NOT_ASSIGNABLE);
    return { change: { kind: 'assign', assigneeId: user.id }, data: { assignee: user.email, assigneeId: user.id } };
  });

  route('snooze', 'Body `{"until": RFC 3339 date-time}`: in the future and at most ALERT_SNOOZE_MAX_HOURS ahead. A snoozed alert does not escalate until then.', (body) => {
    const { until } = parseSnooze(body, now(), maxSnoozeMs);
    return { change: { kind: 'snooze', until }, data: { until: new Date(until).toISOString() } };
  });

  route('comment', 'Body `{"comment": string}` (1 to 2,000 characters after trimming). Allowed in every status.', (body) => {
    const { comment } = parseCommentRequest(body);
    return { change: { kind: 'comment' }, data: { comment } };
  });

  route('outcome', 'Body `{"outcome": <outcome>, "comment"?: string}`: records or changes what a resolved alert turned out to be. Resolved alerts only.', (body) => {
    const { outcome, comment } = parseOutcomeRequest(body);
    return { change: { kind: 'outcome', outcome }, data: withComment({ outcome }, comment) };
  });
};

function routeOf(req: FastifyRequest): string {
  return req.routeOptions.url ?? '/v1/alerts/:id';
}
