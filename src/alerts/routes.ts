import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Vault } from '../crypto/vault.ts';
import { openComments } from './comments.ts';
import { Type } from '@sinclair/typebox';
import { ALERT_KINDS } from '../domain/alert-kinds.ts';
import { ServiceError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { alertHistory, getAlert, listAlerts, type StoredAlert } from '../store/alerts.ts';
import { recordAudit } from '../auth/audit.ts';
import { canSeeSite, requireUser, signedInUser, type SessionUser } from '../auth/guard.ts';
import type { SessionStore } from '../auth/sessions.ts';
import { alertId, parseAlertId, presentAlert } from './present.ts';
import { parsePatientRef } from '../patients/identity.ts';
import { AlertIdParam, AlertSchema, errorResponses, SIGNED_IN } from '../http/schemas.ts';

export interface AlertRoutesOptions {
  readonly db: Db;
  readonly sessions: SessionStore;
  /** Opens the comments, sealed at rest. */
  readonly vault: Vault;
}

const STATUSES = ['open', 'acknowledged', 'resolved'] as const;
const PRIORITIES = ['low', 'medium', 'high'] as const;
export const MAX_LIMIT = 1000;

/** A comma-separated filter value, each item one of `allowed`. */
function listParam(name: string, raw: unknown, allowed: readonly string[]): string[] | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string') throw new ServiceError('bad_message', `${name} must be given once`);
  const items = raw.split(',').map((s) => s.trim());
  const bad = items.find((i) => !allowed.includes(i));
  if (bad !== undefined) throw new ServiceError('bad_message', `${name} must be one or more of ${allowed.join(', ')} (comma-separated)`);
  return items;
}

function intParam(name: string, raw: unknown, min: number, max: number, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw)) throw new ServiceError('bad_message', `${name} must be a whole number`);
  const n = Number(raw);
  if (n < min || n > max) throw new ServiceError('bad_message', `${name} must be between ${min} and ${max}`);
  return n;
}

const visibleSites = (user: SessionUser): readonly number[] | null => (user.role === 'admin' ? null : user.siteIds);

/** An alert the user may see, or not_found: another site's alert is indistinguishable from none. */
async function visibleAlert(db: Db, user: SessionUser, rawId: string): Promise<StoredAlert> {
  const id = parseAlertId(rawId);
  const alert = id === null ? null : await getAlert(db, id);
  if (!alert || !canSeeSite(user, alert.site_id)) throw new ServiceError('not_found', 'no such alert');
  return alert;
}

// Strings, as sent: the handler reads each into its value with a message naming the form.
const ListQuery = Type.Object(
  {
    status: Type.Optional(Type.String({ description: `comma-separated, of ${STATUSES.join(', ')}` })),
    priority: Type.Optional(Type.String({ description: `comma-separated, of ${PRIORITIES.join(', ')}` })),
    kind: Type.Optional(Type.String({ description: `comma-separated alert kinds: ${ALERT_KINDS.join(', ')}` })),
    patient: Type.Optional(Type.String({ description: 'a patient id (p-17)' })),
    after: Type.Optional(Type.String({ description: 'an alert id (a-000123): the page after it (before it with order=newest)' })),
    limit: Type.Optional(Type.String({ pattern: '^\\d{0,15}$', description: `a whole number from 1 to ${MAX_LIMIT} (100 when absent)` })),
    order: Type.Optional(Type.String({ description: 'oldest (default) or newest' })),
  },
  { additionalProperties: false },
);

const AlertPage = Type.Object({
  alerts: Type.Array(AlertSchema),
  next: Type.Union([Type.String(), Type.Null()], { description: 'the `after` of the next page; null on the last one' }),
});

const History = Type.Object({
  alert: Type.String(),
  history: Type.Array(
    Type.Object(
      {
        cursor: Type.Integer(),
        at: Type.String({ format: 'date-time' }),
        type: Type.String({ description: 'opened, acknowledged, resolved, assigned, snoozed, commented, escalated, outcome, ...' }),
        actor: Type.Union([Type.String(), Type.Null()], { description: 'email of the user; null for the service' }),
      },
      // The event's own data (comment, resolution, assignee, until, ...) beside these.
      { additionalProperties: true },
    ),
  ),
});

/** Alerts of the caller's sites (alerts contract v1, API). Clinicians and admins; audited. */
export const alertRoutes: FastifyPluginAsyncTypebox<AlertRoutesOptions> = async (app, { db, sessions, vault }) => {
  // onRequest: who may ask comes before what was asked (the query is validated after it).
  const guard = requireUser(sessions, 'clinician', 'admin');

  app.get('/v1/alerts', {
    onRequest: guard,
    schema: {
      tags: ['alerts'],
      summary: 'alerts of the caller’s sites, oldest first (order=newest for newest first)',
      querystring: ListQuery,
      response: { 200: AlertPage, ...errorResponses('bad_message', ...SIGNED_IN) },
    },
  }, async (req) => {
    const user = signedInUser(req);
    const q = req.query;
    let patientId: number | undefined;
    if (q.patient !== undefined && q.patient !== '') {
      const parsed = parsePatientRef(q.patient);
      if (parsed === null) throw new ServiceError('bad_message', 'patient must be a patient id (p-17)');
      patientId = parsed;
    }
    let afterId: number | undefined;
    if (q.after !== undefined && q.after !== '') {
      const parsed = parseAlertId(q.after);
      if (parsed === null) throw new ServiceError('bad_message', 'after must be an alert id (a-000123)');
      afterId = parsed;
    }
    const limit = intParam('limit', q.limit, 1, MAX_LIMIT, 100);
    // oldest (the default) pages forward from `after`; newest pages backward from it.
    const order = listParam('order', q.order, ['oldest', 'newest']);
    if (order && order.length > 1) throw new ServiceError('bad_message', 'order must be oldest or newest');
    const newestFirst = order?.[0] === 'newest';
    const rows = await listAlerts(db, {
      siteIds: visibleSites(user),
      status: listParam('status', q.status, STATUSES),
      priority: listParam('priority', q.priority, PRIORITIES),
      kind: listParam('kind', q.kind, ALERT_KINDS),
      patientId,
      afterId,
      newestFirst,
      limit,
    });
    await recordAudit(db, {
      user, action: 'alert.list', route: '/v1/alerts',
      detail: { count: rows.length, devices: [...new Set(rows.map((r) => r.device_id))] },
    });
    const last = rows.at(-1);
    return { alerts: rows.map(presentAlert), next: rows.length === limit && last ? alertId(last.id) : null };
  });

  app.get(
    '/v1/alerts/:id/history',
    {
      onRequest: guard,
      schema: {
        tags: ['alerts'],
        summary: 'every change of one alert, oldest first',
        params: Type.Object({ id: AlertIdParam }),
        response: { 200: History, ...errorResponses('not_found', ...SIGNED_IN) },
      },
    },
    async (req) => {
      const user = signedInUser(req);
      const alert = await visibleAlert(db, user, req.params.id);
      const events = await openComments(vault, await alertHistory(db, alert.id));
      await recordAudit(db, { user, action: 'alert.history', route: '/v1/alerts/:id/history', deviceId: alert.device_id });
      return {
        alert: alertId(alert.id),
        history: events.map((e) => ({ cursor: e.cursor, at: e.at.toISOString(), type: e.type, actor: e.actor, ...e.data })),
      };
    },
  );
};
