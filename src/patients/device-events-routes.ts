import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ServiceError } from '../errors.ts';
import { LEADS, LIFECYCLE_KINDS } from '../engine/index.ts';
import type { Db } from '../store/db.ts';
import { deleteLifecycle, patientLifecycle, type StoredLifecycleEvent } from '../store/lifecycle.ts';
import { recordAudit } from '../auth/audit.ts';
import { requireUser, signedInUser } from '../auth/guard.ts';
import type { SessionStore } from '../auth/sessions.ts';
import type { Vault } from '../crypto/vault.ts';
import { visiblePatientSite } from './access.ts';
import { recordDeviceEvent } from './device-events.ts';
import { errorResponses, JSON_BODY, PatientIdParam, SIGNED_IN, SIGNED_IN_CHANGE } from '../http/schemas.ts';

export interface DeviceEventRoutesOptions {
  readonly db: Db;
  readonly sessions: SessionStore;
  readonly vault: Vault;
  /** The devices whose engine state the event changes (the scoring service rebuilds them). */
  readonly changed?: (deviceIds: readonly number[]) => Promise<void>;
  readonly now?: () => number;
}

export const DeviceEventSchema = Type.Object({
  id: Type.String({ description: 'e-12' }),
  kind: Type.String({ description: LIFECYCLE_KINDS.join(', ') }),
  at: Type.String({ format: 'date-time', description: 'event time' }),
  serial: Type.String(),
  replaces: Type.Union([Type.String(), Type.Null()], { description: 'generator_change: the serial of the generator replaced' }),
  leads: Type.Array(Type.String()),
  metrics: Type.Array(Type.String()),
  source: Type.String({ description: 'clinician, admin, idco, or generator_change (the old generator’s explant)' }),
  recordedBy: Type.Union([Type.String(), Type.Null()], { description: 'who recorded it (e-mail); null when a message did' }),
  recordedAt: Type.String({ format: 'date-time' }),
});

const Params = Type.Object({ id: PatientIdParam });
const EventParams = Type.Object({ id: PatientIdParam, event: Type.String({ maxLength: 24, description: 'e-12' }) });
const Serial = Type.String({ minLength: 1, maxLength: 64, description: 'a device serial' });
const Body = Type.Object({
  kind: Type.Union(LIFECYCLE_KINDS.map((k) => Type.Literal(k))),
  at: Type.String({ format: 'date-time', description: 'RFC 3339: when it happened (not in the future)' }),
  serial: { ...Serial, description: 'the device it happened to; for a generator change, the NEW generator (registered at the patient’s site and enrolled to the patient when it is not)' },
  replaces: Type.Optional({ ...Serial, description: 'generator_change only: the generator replaced, one of the patient’s devices' }),
  leads: Type.Optional(Type.Array(Type.Union(LEADS.map((l) => Type.Literal(l))), { maxItems: 4, uniqueItems: true, description: 'implant (default all), lead_revision (required), reprogramming' })),
  metrics: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 32, uniqueItems: true, description: 'reprogramming: metrics whose baselines restart' })),
}, { additionalProperties: false });
const Answer = Type.Object({ events: Type.Array(DeviceEventSchema) });

export function presentDeviceEvent(e: StoredLifecycleEvent) {
  return {
    id: `e-${e.id}`, kind: e.kind, at: e.at.toISOString(), serial: e.serial, replaces: e.previousSerial, leads: e.leads, metrics: e.metrics,
    source: e.source, recordedBy: e.recordedBy, recordedAt: e.recordedAt.toISOString(),
  };
}

/**
 * A patient's device lifecycle: implant, generator change, lead revision, reprogramming and
 * explant, each an input of the engine in event time (src/engine/lifecycle.ts). Clinicians of
 * the patient's site and admins; every read and change audited.
 */
export const deviceEventRoutes: FastifyPluginAsyncTypebox<DeviceEventRoutesOptions> = async (app, { db, sessions, vault, changed, now = Date.now }) => {
  const guard = requireUser(sessions, 'clinician', 'admin');
  /** The patient a change acts on, found before its body is validated: another site's is 404 whatever the body. */
  const target = new WeakMap<FastifyRequest, { id: number; siteId: number }>();
  const preValidation = async (req: FastifyRequest) => {
    target.set(req, await visiblePatientSite(db, signedInUser(req), (req.params as { id: string }).id));
  };

  app.get('/v1/patients/:id/device-events', {
    onRequest: guard,
    schema: { tags: ['patients'], summary: 'the lifecycle events of the patient’s devices, newest first', params: Params, response: { 200: Answer, ...errorResponses('not_found', ...SIGNED_IN) } },
  }, async (req) => {
    const user = signedInUser(req);
    const { id } = await visiblePatientSite(db, user, req.params.id);
    const events = (await patientLifecycle(db, id)).map(presentDeviceEvent);
    await recordAudit(db, { user, action: 'patient.device_events.read', route: '/v1/patients/:id/device-events', patientId: id });
    return { events };
  });

  app.post('/v1/patients/:id/device-events', {
    onRequest: guard,
    preValidation,
    bodyLimit: 8 * 1024,
    schema: {
      tags: ['patients'],
      summary: 'record an implant, generator change, lead revision, reprogramming or explant; the engine takes it in at its event time',
      params: Params, body: Body, response: { 201: Answer, ...errorResponses(...JSON_BODY, 'not_found', 'conflict', ...SIGNED_IN_CHANGE) },
    },
  }, async (req, reply) => {
    const user = signedInUser(req);
    const patient = target.get(req);
    if (!patient) throw new ServiceError('internal');
    const recorded = await recordDeviceEvent(db, vault, patient, req.body, { by: user.id, source: user.role === 'admin' ? 'admin' : 'clinician' }, now());
    await recordAudit(db, {
      user, action: 'patient.device_event.create', route: '/v1/patients/:id/device-events', patientId: patient.id,
      detail: { event: recorded.id, kind: req.body.kind },
    });
    await changed?.(recorded.devices);
    return reply.code(201).send({ events: (await patientLifecycle(db, patient.id)).map(presentDeviceEvent) });
  });

  app.delete('/v1/patients/:id/device-events/:event', {
    onRequest: guard,
    schema: {
      tags: ['patients'],
      summary: 'delete a lifecycle event recorded in error (a generator change takes its explant of the old generator with it); the devices are rebuilt without it, alerts already raised stay',
      params: EventParams, response: { 200: Answer, ...errorResponses('not_found', ...SIGNED_IN_CHANGE) },
    },
  }, async (req) => {
    const user = signedInUser(req);
    const { id } = await visiblePatientSite(db, user, req.params.id);
    const m = /^e-([1-9]\d{0,17})$/.exec(req.params.event);
    const event = m ? Number(m[1]) : NaN;
    const devices = Number.isSafeInteger(event) ? await deleteLifecycle(db, id, event) : null;
    if (!devices) throw new ServiceError('not_found', 'no such lifecycle event for this patient');
    await recordAudit(db, { user, action: 'patient.device_event.delete', route: '/v1/patients/:id/device-events/:event', patientId: id, detail: { event } });
    await changed?.(devices);
    return { events: (await patientLifecycle(db, id)).map(presentDeviceEvent) };
  });
};
