import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ServiceError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { unresolvedAlerts, unresolvedByAssignee } from '../store/worklists.ts';
import { recordAudit } from '../auth/audit.ts';
import { requireUser, signedInUser, type SessionUser } from '../auth/guard.ts';
import type { SessionStore } from '../auth/sessions.ts';
import type { Vault } from '../crypto/vault.ts';
import type { SilenceSource } from '../scoring/cadences.ts';
import { alertId } from '../alerts/present.ts';
import { patientRef } from '../patients/identity.ts';
import { errorResponses, Nullable, SIGNED_IN } from '../http/schemas.ts';
import { overdueDevices, patientNames, snapshotSilence } from './service.ts';

export interface WorklistRoutesOptions {
  readonly db: Db;
  readonly sessions: SessionStore;
  readonly vault: Vault;
  /** Each device's configuration and cadence, as the connectivity check reads them; the defaults and snapshots when absent. */
  readonly silence?: SilenceSource;
  readonly now?: () => number;
}

const HOUR_MS = 3_600_000;
const hours = (ms: number) => Math.round((ms / HOUR_MS) * 10) / 10;

const Limit = (max: number, fallback: number) =>
  Type.Optional(Type.String({ pattern: '^\\d{0,4}$', description: `a whole number from 1 to ${max} (${fallback} when absent)` }));

function limitOf(raw: string | undefined, max: number, fallback: number): number {
  const n = raw === undefined || raw === '' ? fallback : /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= max)) throw new ServiceError('bad_message', `limit must be a whole number from 1 to ${max}`);
  return n;
}

const Priority = Type.Union([Type.Literal('low'), Type.Literal('medium'), Type.Literal('high')]);
const Counts = Type.Object({ high: Type.Integer(), medium: Type.Integer(), low: Type.Integer(), total: Type.Integer() });
const OverdueDevice = Type.Object({
  device: Type.String({ description: 'serial' }),
  site: Type.String({ description: 'site code' }),
  deviceType: Nullable(Type.String({ description: 'the enrolled device type; null while not enrolled' })),
  patientId: Nullable(Type.String({ description: 'p-17; null while the device is not enrolled' })),
  patientName: Nullable(Type.String()),
  lastReadingAt: Type.String({ format: 'date-time', description: 'event time of the newest reading' }),
  lastReceivedAt: Type.String({ format: 'date-time', description: 'when the newest reading arrived' }),
  limitHours: Type.Number({ description: 'the silence the device is allowed (the connectivity check’s limit)' }),
  limitSource: Type.String({ description: 'floor, configured or learnt: where the limit comes from' }),
  expectedHours: Nullable(Type.Number({ description: 'its expected interval, when the limit comes from one' })),
  overdueHours: Type.Number({ description: 'how long past its limit' }),
});
const WorklistAlert = Type.Object({
  id: Type.String({ description: 'a-000123' }),
  patientId: Nullable(Type.String()),
  patientName: Nullable(Type.String()),
  device: Type.String(),
  site: Type.String(),
  kind: Type.String(),
  priority: Priority,
  status: Type.Union([Type.Literal('open'), Type.Literal('acknowledged')]),
  summary: Type.String(),
  openedAt: Type.String({ format: 'date-time' }),
  raisedAt: Type.String({ format: 'date-time' }),
  snoozedUntil: Nullable(Type.String({ format: 'date-time' })),
  escalationLevel: Type.Integer(),
});
const Group = Type.Object({
  assignee: Nullable(Type.Object({ email: Type.String(), name: Type.String() }, { description: 'null: the unassigned alerts' })),
  counts: Counts,
  alerts: Type.Array(WorklistAlert, { description: 'highest priority first, then the longest open; at most `limit`' }),
});

/**
 * The clinic's worklists: devices overdue for a transmission, and the open and acknowledged
 * alerts by assignee. Clinicians see their sites, admins every site; every read audited.
 */
export const worklistRoutes: FastifyPluginAsyncTypebox<WorklistRoutesOptions> = async (app, { db, sessions, vault, silence, now = Date.now }) => {
  const guard = requireUser(sessions, 'clinician', 'admin');
  const source = silence ?? snapshotSilence(db);
  const sitesOf = (user: SessionUser) => (user.role === 'admin' ? null : user.siteIds);

  app.get('/v1/worklists/overdue', {
    onRequest: guard,
    schema: {
      tags: ['worklists'],
      summary: 'devices of the caller’s sites whose newest reading arrived longer ago than their silence limit allows, most overdue first',
      querystring: Type.Object({ limit: Limit(1000, 500) }, { additionalProperties: false }),
      response: {
        200: Type.Object({ devices: Type.Array(OverdueDevice), total: Type.Integer({ description: 'overdue devices, of which the first `limit` are listed' }) }),
        ...errorResponses('bad_message', ...SIGNED_IN),
      },
    },
  }, async (req) => {
    const user = signedInUser(req);
    const limit = limitOf(req.query.limit, 1000, 500);
    const all = await overdueDevices(db, source, sitesOf(user), now());
    const shown = all.slice(0, limit);
    const names = await patientNames(db, vault, shown.flatMap((o) => (o.row.patient_id === null ? [] : [o.row.patient_id])));
    const patients = [...new Set(shown.flatMap((o) => (o.row.patient_id === null ? [] : [o.row.patient_id])))];
    await recordAudit(db, {
      user, action: 'worklist.overdue.read', route: '/v1/worklists/overdue',
      detail: { count: shown.length, patients, devices: shown.map((o) => o.row.device_id) },
    });
    return {
      total: all.length,
      devices: shown.map(({ row, limit: l, overdueMs }) => ({
        device: row.serial, site: row.site, deviceType: row.device_type,
        patientId: row.patient_id === null ? null : patientRef(row.patient_id), patientName: row.patient_id === null ? null : names.get(row.patient_id) ?? null,
        lastReadingAt: row.at.toISOString(), lastReceivedAt: row.received_at.toISOString(),
        limitHours: l.hours, limitSource: l.source, expectedHours: l.expectedHours, overdueHours: hours(overdueMs),
      })),
    };
  });

  app.get('/v1/worklists/assigned', {
    onRequest: guard,
    schema: {
      tags: ['worklists'],
      summary: 'open and acknowledged alerts of the caller’s sites by assignee (the unassigned first), counted by priority',
      querystring: Type.Object({ limit: Limit(500, 100) }, { additionalProperties: false }),
      response: { 200: Type.Object({ groups: Type.Array(Group) }), ...errorResponses('bad_message', ...SIGNED_IN) },
    },
  }, async (req) => {
    const user = signedInUser(req);
    const limit = limitOf(req.query.limit, 500, 100);
    const sites = sitesOf(user);
    const counts = await unresolvedByAssignee(db, sites);
    const alerts = await unresolvedAlerts(db, sites, limit);
    const names = await patientNames(db, vault, alerts.flatMap((a) => (a.patient_id === null ? [] : [a.patient_id])));
    await recordAudit(db, {
      user, action: 'worklist.assigned.read', route: '/v1/worklists/assigned',
      detail: {
        count: alerts.length, devices: [...new Set(alerts.map((a) => a.device_id))],
        patients: [...new Set(alerts.flatMap((a) => (a.patient_id === null ? [] : [a.patient_id])))],
      },
    });
    const byAssignee = new Map<number | null, typeof alerts>();
    for (const a of alerts) {
      const list = byAssignee.get(a.assignee_id);
      if (list) list.push(a);
      else byAssignee.set(a.assignee_id, [a]);
    }
    const groups = counts.map((c) => ({
      assignee: c.assignee_id === null ? null : { email: c.assignee_email ?? '', name: c.assignee_name ?? '' },
      counts: { high: c.high, medium: c.medium, low: c.low, total: c.high + c.medium + c.low },
      alerts: (byAssignee.get(c.assignee_id) ?? []).map((a) => ({
        id: alertId(a.id), patientId: a.patient_id === null ? null : patientRef(a.patient_id), patientName: a.patient_id === null ? null : names.get(a.patient_id) ?? null,
        device: a.serial, site: a.site, kind: a.kind, priority: a.priority, status: a.status, summary: a.summary,
        openedAt: a.opened_at.toISOString(), raisedAt: a.raised_at.toISOString(), snoozedUntil: a.snoozed_until?.toISOString() ?? null, escalationLevel: a.escalation_level,
      })),
    }));
    // The unassigned first, then by name.
    groups.sort((a, b) => (a.assignee === null ? -1 : b.assignee === null ? 1 : a.assignee.name.localeCompare(b.assignee.name) || a.assignee.email.localeCompare(b.assignee.email)));
    return { groups };
  });
};
