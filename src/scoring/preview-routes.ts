import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ServiceError } from '../errors.ts';
import { DEFAULT_CONFIG, mergeConfig, overrideProblems, type DeepPartial, type EngineConfig } from '../engine/index.ts';
import type { Db } from '../store/db.ts';
import { siteIdByCode } from '../store/sites.ts';
import { getEngineSettings, loadEngineSettings } from '../store/engine-settings.ts';
import { recordAudit } from '../auth/audit.ts';
import { canSeeSite, requireUser, signedInUser } from '../auth/guard.ts';
import type { SessionStore } from '../auth/sessions.ts';
import { visiblePatientSite } from '../patients/access.ts';
import { replay, selectDevices, type Opening, type ReplayResult } from '../replay/replay.ts';
import { errorResponses, JSON_BODY, Nullable, PatientIdParam, SIGNED_IN_CHANGE } from '../http/schemas.ts';

export interface PreviewRoutesOptions {
  readonly db: Db;
  readonly sessions: SessionStore;
}

/** Openings listed per direction in an answer; the counts per kind cover them all. */
export const PREVIEW_LIST_LIMIT = 200;

const OpeningSchema = Type.Object({
  kind: Type.String(), priority: Type.String(), patient: Nullable(Type.String()), device: Type.String(),
  triggerSeq: Type.Integer(), at: Type.String({ format: 'date-time' }), summary: Type.String(),
});
const Share = Nullable(Type.Number({ description: 'null when no stored alert of the kind has a recorded outcome' }));
const KindSchema = Type.Object({
  stored: Type.Integer({ description: 'alerts the service stored' }),
  current: Type.Integer({ description: 'alerts the stored readings open under the settings in force' }),
  proposed: Type.Integer({ description: 'alerts they open under the proposed settings' }),
  gained: Type.Integer(), lost: Type.Integer(),
  reproduced: Type.Integer({ description: 'current-settings openings that are stored alerts' }),
  ppv: Type.Object({ current: Share, proposed: Share }, { description: 'of stored alerts resolved actionable or not, the share actionable among those each setting opens' }),
  sensitivity: Type.Object({ current: Share, proposed: Share }, { description: 'of stored alerts resolved actionable, the share each setting opens' }),
});
const Preview = Type.Object({
  devices: Type.Integer(), readings: Type.Integer(), seconds: Type.Number(),
  kinds: Type.Record(Type.String(), KindSchema),
  gained: Type.Array(OpeningSchema, { description: `alerts the proposal would open that the settings in force do not (at most ${PREVIEW_LIST_LIMIT}, oldest first)` }),
  lost: Type.Array(OpeningSchema, { description: `alerts the settings in force open that the proposal would not (at most ${PREVIEW_LIST_LIMIT})` }),
  truncated: Type.Boolean({ description: 'more openings changed than listed' }),
});
const body = Type.Record(Type.String(), Type.Unknown(), {
  description: 'the override as it would be stored by the PUT of the same path (it replaces the stored one), e.g. `{"hf": {"zImpedance": 4}}`',
});

function answer(r: ReplayResult) {
  const cut = (list: readonly Opening[]) => list.slice(0, PREVIEW_LIST_LIMIT);
  return {
    devices: r.devices, readings: r.readings, seconds: Math.round(r.seconds * 1000) / 1000, kinds: r.kinds,
    gained: cut(r.gained), lost: cut(r.lost), truncated: r.gained.length > PREVIEW_LIST_LIMIT || r.lost.length > PREVIEW_LIST_LIMIT,
  };
}

/** A stored override as the scoring service uses it: one that no longer fits is ignored (device-config.ts). */
function usable(stored: unknown): DeepPartial<EngineConfig> | undefined {
  return stored && overrideProblems(stored).length === 0 ? (stored as DeepPartial<EngineConfig>) : undefined;
}

function checked(override: unknown): DeepPartial<EngineConfig> {
  const problems = overrideProblems(override);
  if (problems.length > 0) throw new ServiceError('bad_message', problems.slice(0, 10).join('; '));
  return override as DeepPartial<EngineConfig>;
}

/**
 * What an engine-settings override would have done, before anyone stores it: the stored
 * readings of the patient's (or the site's) devices through the engine under the settings in
 * force and under the proposal, with the alerts gained and lost (src/replay/replay.ts). Writes
 * nothing but its audit row. A patient's preview: clinicians of the site and admins; a site's:
 * admins (it reads every patient of the site).
 */
export const previewRoutes: FastifyPluginAsyncTypebox<PreviewRoutesOptions> = async (app, { db, sessions }) => {
  const reader = requireUser(sessions, 'clinician', 'admin');
  const admin = requireUser(sessions, 'admin');
  const tags = ['engine settings'];
  const response = { 200: Preview, ...errorResponses(...JSON_BODY, 'not_found', ...SIGNED_IN_CHANGE) };

  app.post('/v1/patients/:id/engine-settings/preview', {
    onRequest: reader,
    bodyLimit: 64 * 1024,
    schema: { tags, summary: 'what a patient override would have done over the patient’s stored history, before it is applied', params: Type.Object({ id: PatientIdParam }), body, response },
  }, async (req) => {
    const user = signedInUser(req);
    const p = await visiblePatientSite(db, user, req.params.id);
    const override = checked(req.body);
    // The proposal replaces the patient's stored override: defaults, site, proposal.
    const proposed = mergeConfig(DEFAULT_CONFIG, usable(await getEngineSettings(db, { siteId: p.siteId })), override);
    const sel = { patients: [`p-${p.id}`] };
    const result = await replay(db, await selectDevices(db, sel), sel, () => proposed);
    await recordAudit(db, { user, action: 'engine_settings.preview', route: '/v1/patients/:id/engine-settings/preview', patientId: p.id, detail: { settings: req.body } });
    return answer(result);
  });

  app.post('/v1/sites/:code/engine-settings/preview', {
    onRequest: admin,
    bodyLimit: 64 * 1024,
    schema: { tags, summary: 'what a site override would have done over the site’s stored history (admins)', params: Type.Object({ code: Type.String({ description: 'site code' }) }), body, response },
  }, async (req) => {
    const user = signedInUser(req);
    const siteId = await siteIdByCode(db, req.params.code);
    if (siteId === undefined || !canSeeSite(user, siteId)) throw new ServiceError('not_found', 'no such site');
    const override = checked(req.body);
    const stored = await loadEngineSettings(db);
    // The proposal replaces the site's override; each patient's own stays on top.
    const proposed = (d: { id: number }) => mergeConfig(DEFAULT_CONFIG, override, usable(stored.devices.get(d.id)));
    const sel = { sites: [req.params.code] };
    const result = await replay(db, await selectDevices(db, sel), sel, proposed);
    await recordAudit(db, { user, action: 'engine_settings.preview', route: '/v1/sites/:code/engine-settings/preview', detail: { siteId, settings: req.body } });
    return answer(result);
  });
};
