import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ServiceError } from '../errors.ts';
import { DEFAULT_CONFIG, mergeConfig, overrideProblems, type DeepPartial, type EngineConfig } from '../engine/index.ts';
import type { Db } from '../store/db.ts';
import { siteIdByCode } from '../store/sites.ts';
import { deleteEngineSettings, getEngineSettings, putEngineSettings, type Scope } from '../store/engine-settings.ts';
import { recordAudit } from '../auth/audit.ts';
import { canSeeSite, requireUser, signedInUser, type SessionUser } from '../auth/guard.ts';
import type { SessionStore } from '../auth/sessions.ts';
import { visiblePatientSite } from '../patients/access.ts';
import { errorResponses, JSON_BODY, Nullable, PatientIdParam, SIGNED_IN, SIGNED_IN_CHANGE } from '../http/schemas.ts';

export interface SettingsRoutesOptions {
  readonly db: Db;
  readonly sessions: SessionStore;
  /** Called after a change, so scoring uses it from the next reading. */
  readonly changed: () => Promise<void>;
}

interface Target {
  readonly scope: Scope;
  readonly siteId: number;
  /** Route pattern, for the audit row. */
  readonly route: string;
  readonly patientId?: number;
}

/**
 * Engine settings per site (admins change them; clinicians of the site read them) and per
 * patient (clinicians of the patient's site and admins), as partial engine configurations
 * merged over the defaults: patient over site over default.
 */
export const engineSettingsRoutes: FastifyPluginAsyncTypebox<SettingsRoutesOptions> = async (app, { db, sessions, changed }) => {
  const reader = requireUser(sessions, 'clinician', 'admin');
  const admin = requireUser(sessions, 'admin');

  const siteTarget = async (req: FastifyRequest<{ Params: { code: string } }>, user: SessionUser): Promise<Target> => {
    const siteId = await siteIdByCode(db, req.params.code);
    if (siteId === undefined || !canSeeSite(user, siteId)) throw new ServiceError('not_found', 'no such site');
    return { scope: { siteId }, siteId, route: '/v1/sites/:code/engine-settings' };
  };
  const patientTarget = async (req: FastifyRequest<{ Params: { id: string } }>, user: SessionUser): Promise<Target> => {
    const p = await visiblePatientSite(db, user, req.params.id);
    return { scope: { patientId: p.id }, siteId: p.siteId, patientId: p.id, route: '/v1/patients/:id/engine-settings' };
  };

  /** The override of the target and the configuration that results for its devices. */
  const describe = async (t: Target, own: unknown) => {
    const site = 'patientId' in t.scope ? await getEngineSettings(db, { siteId: t.siteId }) : own;
    const patient = 'patientId' in t.scope ? own : undefined;
    const effective = mergeConfig(DEFAULT_CONFIG, (site ?? undefined) as DeepPartial<EngineConfig> | undefined, (patient ?? undefined) as DeepPartial<EngineConfig> | undefined);
    // Both are JSON objects: the stored override (or null) and the merged configuration.
    return { settings: (own ?? null) as Record<string, unknown> | null, effective: effective as unknown as Record<string, unknown> };
  };

  const get = (target: typeof siteTarget | typeof patientTarget) => async (req: FastifyRequest) => {
    const user = signedInUser(req);
    const t = await target(req as never, user);
    const own = await getEngineSettings(db, t.scope);
    await recordAudit(db, { user, action: 'engine_settings.read', route: t.route, patientId: t.patientId });
    return describe(t, own);
  };

  const put = (target: typeof siteTarget | typeof patientTarget) => async (req: FastifyRequest) => {
    const user = signedInUser(req);
    const t = await target(req as never, user);
    const problems = overrideProblems(req.body);
    if (problems.length > 0) throw new ServiceError('bad_message', problems.slice(0, 10).join('; '));
    await putEngineSettings(db, t.scope, req.body, user.id);
    await recordAudit(db, { user, action: 'engine_settings.put', route: t.route, patientId: t.patientId, detail: { settings: req.body } });
    await changed();
    return describe(t, req.body);
  };

  const del = (target: typeof siteTarget | typeof patientTarget) => async (req: FastifyRequest) => {
    const user = signedInUser(req);
    const t = await target(req as never, user);
    if (!(await deleteEngineSettings(db, t.scope, user.id))) throw new ServiceError('not_found', 'no engine settings here to delete');
    await recordAudit(db, { user, action: 'engine_settings.delete', route: t.route, patientId: t.patientId });
    await changed();
    return describe(t, null);
  };

  // A partial engine configuration: its sections and keys are checked by overrideProblems,
  // which names the key at fault ("unknown engine setting: af.burdenHourz").
  const body = Type.Record(Type.String(), Type.Unknown(), {
    description: 'a partial engine configuration, e.g. `{"af": {"burdenHours": 2}}`: sections and keys of the defaults (src/engine/config.ts), within the clinical floors',
  });
  const Described = Type.Object({
    settings: Nullable(Type.Record(Type.String(), Type.Unknown(), { description: 'this override; null when there is none' })),
    effective: Type.Record(Type.String(), Type.Unknown(), { description: 'the configuration its devices are scored with: patient over site over defaults' }),
  });
  const tags = ['engine settings'];
  const site = { params: Type.Object({ code: Type.String({ description: 'site code' }) }) };
  const patient = { params: Type.Object({ id: PatientIdParam }) };
  const read = { 200: Described, ...errorResponses('not_found', ...SIGNED_IN) };
  const change = { 200: Described, ...errorResponses(...JSON_BODY, 'not_found', ...SIGNED_IN_CHANGE) };
  const remove = { 200: Described, ...errorResponses('not_found', ...SIGNED_IN_CHANGE) };
  // Guards are onRequest hooks: who may ask comes before what was asked.
  app.get('/v1/sites/:code/engine-settings', { onRequest: reader, schema: { tags, summary: 'a site’s engine settings and the result', ...site, response: read } }, get(siteTarget));
  app.put('/v1/sites/:code/engine-settings', { onRequest: admin, schema: { tags, summary: 'override engine settings for a site (admins)', ...site, body, response: change } }, put(siteTarget));
  app.delete('/v1/sites/:code/engine-settings', { onRequest: admin, schema: { tags, summary: 'back to the defaults for a site (admins)', ...site, response: remove } }, del(siteTarget));
  app.get('/v1/patients/:id/engine-settings', { onRequest: reader, schema: { tags, summary: 'a patient’s engine settings and the result', ...patient, response: read } }, get(patientTarget));
  app.put('/v1/patients/:id/engine-settings', { onRequest: reader, schema: { tags, summary: 'override engine settings for a patient', ...patient, body, response: change } }, put(patientTarget));
  app.delete('/v1/patients/:id/engine-settings', { onRequest: reader, schema: { tags, summary: 'back to the site’s settings for a patient', ...patient, response: remove } }, del(patientTarget));
};
