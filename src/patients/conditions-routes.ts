import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ServiceError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { conditionsOf, endCondition, FOLDABLE_KINDS, insertCondition, type FoldableKind } from '../store/conditions.ts';
import { recordAudit } from '../auth/audit.ts';
import { requireUser, signedInUser, type SessionUser } from '../auth/guard.ts';
import type { SessionStore } from '../auth/sessions.ts';
import type { Vault } from '../crypto/vault.ts';
import { visiblePatientSite } from './access.ts';
import { errorResponses, JSON_BODY, Nullable, PatientIdParam, SIGNED_IN, SIGNED_IN_CHANGE } from '../http/schemas.ts';

export interface ConditionRoutesOptions {
  readonly db: Db;
  readonly sessions: SessionStore;
  readonly vault: Vault;
  readonly now?: () => number;
}

export const REASON_FIELD = 'known_conditions.reason';
/** The longest a condition may hold before it must be stated again. */
export const MAX_CONDITION_DAYS = 366;
const DAY = 86_400_000;

const ConditionSchema = Type.Object({
  id: Type.String({ description: 'c-12' }),
  kind: Type.String({ description: 'the alert kind it folds' }),
  reason: Type.String(),
  startsAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time' }),
  endedAt: Nullable(Type.String({ format: 'date-time' })),
  createdBy: Type.String({ description: 'the clinician who stated it (e-mail)' }),
  digests: Type.Array(Type.Object({
    week: Type.String({ description: 'Monday of the ISO week (UTC), YYYY-MM-DD' }),
    occurrences: Type.Integer({ description: 'alerts of the kind folded that week' }),
    firstAt: Type.String({ format: 'date-time' }),
    lastAt: Type.String({ format: 'date-time' }),
    summary: Type.String({ description: 'the latest folded alert’s summary' }),
    priority: Type.String({ description: 'the highest folded priority' }),
  })),
});
const Params = Type.Object({ id: PatientIdParam });
const EndParams = Type.Object({ id: PatientIdParam, condition: Type.String({ maxLength: 20, description: 'c-12' }) });
const Body = Type.Object({
  kind: Type.Union(FOLDABLE_KINDS.map((k) => Type.Literal(k)), { description: 'VT/VF, shocks and heart failure cannot be folded' }),
  reason: Type.String({ minLength: 1, maxLength: 500, description: 'why the condition is known (kept encrypted)' }),
  expiresAt: Type.String({ format: 'date-time', description: `RFC 3339, in the future and at most ${MAX_CONDITION_DAYS} days ahead` }),
  startsAt: Type.Optional(Type.String({ format: 'date-time', description: `RFC 3339: known since (readings taken from then on are folded, replays included); now when absent, at most ${MAX_CONDITION_DAYS} days back` })),
}, { additionalProperties: false });

/**
 * Known conditions of a patient: while one holds, alerts of its kind for the patient's
 * devices are counted in a weekly digest instead of opening (src/store/conditions.ts).
 * Clinicians of the patient's site and admins; every read and change audited.
 */
export const conditionRoutes: FastifyPluginAsyncTypebox<ConditionRoutesOptions> = async (app, { db, sessions, vault, now = Date.now }) => {
  const guard = requireUser(sessions, 'clinician', 'admin');
  const patient = async (user: SessionUser, ref: string) => (await visiblePatientSite(db, user, ref)).id;
  /** The patient a change acts on, found before its body is validated: another site's is 404 whatever the body. */
  const target = new WeakMap<FastifyRequest, number>();
  const preValidation = async (req: FastifyRequest) => {
    target.set(req, await patient(signedInUser(req), (req.params as { id: string }).id));
  };
  const targetOf = (req: FastifyRequest): number => {
    const id = target.get(req);
    if (id === undefined) throw new ServiceError('internal');
    return id;
  };
  const list = async (patientId: number) => {
    const rows = await conditionsOf(db, patientId);
    await vault.prepare(rows.map((r) => r.reason_sealed));
    return rows.map((r) => ({
      id: `c-${r.id}`, kind: r.kind, reason: vault.open(REASON_FIELD, r.reason_sealed),
      startsAt: r.starts_at.toISOString(), expiresAt: r.expires_at.toISOString(), endedAt: r.ended_at?.toISOString() ?? null, createdBy: r.created_by,
      digests: r.digests.map((g) => ({ week: g.week, occurrences: g.occurrences, firstAt: new Date(g.first_at).toISOString(), lastAt: new Date(g.last_at).toISOString(), summary: g.summary, priority: g.priority })),
    }));
  };
  const Answer = Type.Object({ conditions: Type.Array(ConditionSchema) });

  app.get('/v1/patients/:id/conditions', {
    onRequest: guard,
    schema: { tags: ['patients'], summary: 'the patient’s known conditions and their weekly digests', params: Params, response: { 200: Answer, ...errorResponses('not_found', ...SIGNED_IN) } },
  }, async (req) => {
    const user = signedInUser(req);
    const id = await patient(user, req.params.id);
    const conditions = await list(id);
    await recordAudit(db, { user, action: 'patient.conditions.read', route: '/v1/patients/:id/conditions', patientId: id });
    return { conditions };
  });

  app.post('/v1/patients/:id/conditions', {
    onRequest: guard,
    preValidation,
    bodyLimit: 8 * 1024,
    schema: { tags: ['patients'], summary: 'state a known condition: its alerts go to a weekly digest until it expires', params: Params, body: Body, response: { 201: Answer, ...errorResponses(...JSON_BODY, 'not_found', ...SIGNED_IN_CHANGE) } },
  }, async (req, reply) => {
    const user = signedInUser(req);
    const id = targetOf(req);
    const reason = req.body.reason.trim();
    if (reason === '') throw new ServiceError('bad_message', 'reason must not be blank');
    const t = now();
    const expires = Date.parse(req.body.expiresAt);
    if (!Number.isFinite(expires) || expires <= t) throw new ServiceError('bad_message', 'expiresAt must be in the future');
    if (expires > t + MAX_CONDITION_DAYS * DAY) throw new ServiceError('bad_message', `expiresAt must be at most ${MAX_CONDITION_DAYS} days ahead: a condition is stated again to go on`);
    const starts = req.body.startsAt === undefined ? t : Date.parse(req.body.startsAt);
    if (!Number.isFinite(starts) || starts > t || starts < t - MAX_CONDITION_DAYS * DAY) throw new ServiceError('bad_message', `startsAt must be now or in the past, at most ${MAX_CONDITION_DAYS} days back`);
    const created = await insertCondition(db, {
      patientId: id, kind: req.body.kind as FoldableKind, reasonSealed: vault.sealGeneral(REASON_FIELD, reason),
      startsAt: new Date(starts), expiresAt: new Date(expires), createdBy: user.id,
    });
    await recordAudit(db, { user, action: 'patient.condition.create', route: '/v1/patients/:id/conditions', patientId: id, detail: { condition: created, kind: req.body.kind } });
    return reply.code(201).send({ conditions: await list(id) });
  });

  app.post('/v1/patients/:id/conditions/:condition/end', {
    onRequest: guard,
    preValidation,
    bodyLimit: 1024,
    schema: { tags: ['patients'], summary: 'end a known condition now: its alerts open again', params: EndParams, body: Nullable(Type.Object({}, { additionalProperties: false })), response: { 200: Answer, ...errorResponses(...JSON_BODY, 'not_found', ...SIGNED_IN_CHANGE) } },
  }, async (req) => {
    const user = signedInUser(req);
    const id = targetOf(req);
    const m = /^c-([1-9]\d{0,9})$/.exec(req.params.condition);
    const condition = m ? Number(m[1]) : NaN;
    if (!(condition <= 2_147_483_647) || !(await endCondition(db, id, condition, user.id))) throw new ServiceError('not_found', 'no such condition in force for this patient');
    await recordAudit(db, { user, action: 'patient.condition.end', route: '/v1/patients/:id/conditions/:condition/end', patientId: id, detail: { condition } });
    return { conditions: await list(id) };
  });
};
