import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { metricById } from '../domain/vocabulary.ts';
import { ServiceError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { listAlerts } from '../store/alerts.ts';
import { episodesOf, latestObservations } from '../store/idco-records.ts';
import { silencesOf } from '../store/connectivity-episodes.ts';
import { deviceBySerial, listPatients, patientDevices, patientReadings, unenrol, type PatientRow } from '../store/patients.ts';
import { recordAudit } from '../auth/audit.ts';
import { canSeeSite, requireUser, signedInUser, type SessionUser } from '../auth/guard.ts';
import type { SessionStore } from '../auth/sessions.ts';
import { presentAlert } from '../alerts/present.ts';
import { isValidNhsNumber, normaliseNhsNumber, parsePatientRef, patientRef } from './identity.ts';
import type { Vault } from '../crypto/vault.ts';
import { nhsNumberIndex, openIdentities, type PatientIdentity } from './sealed.ts';
import { createPatient, enrolDevice, isDeviceSerial } from './service.ts';
import { MAX_QUERY_LENGTH, parsePatientQuery, QueryError, serialPrefixPattern, type PatientQuery } from './search.ts';
import { errorResponses, JSON_BODY, Nullable, PatientIdParam, SIGNED_IN, SIGNED_IN_CHANGE } from '../http/schemas.ts';
import { CreateBody, EnrolBody, PatientBody, PatientDetail, PatientParams, PatientSchema, Readings } from './schemas.ts';

export interface PatientRoutesOptions {
  readonly db: Db;
  readonly sessions: SessionStore;
  /** Opens the identifiers, sealed at rest. */
  readonly vault: Vault;
  readonly now?: () => number;
}

type OpenedPatient = PatientRow & PatientIdentity;

const DAY = 86_400_000;
/** Readings one chart request may return; a longer period is refused with advice. */
export const MAX_POINTS = 200_000;
const MAX_PERIOD_DAYS = 3 * 366;

function present(p: OpenedPatient) {
  return {
    id: patientRef(p.id),
    name: `${p.givenName} ${p.familyName}`,
    familyName: p.familyName,
    givenName: p.givenName,
    site: p.site,
    nhsNumber: p.nhsNumber,
    dateOfBirth: p.dateOfBirth,
    sex: p.sex,
    devices: p.devices,
    deviceTypes: p.device_types,
    risk: p.risk_status
      ? {
        status: p.risk_status, score: Math.round((p.risk_score ?? 0) * 1000) / 1000, at: p.risk_at!.toISOString(),
        // Only a Low can rest on too little data; Medium and High stand on what the device gave.
        insufficientData: p.risk_status === 'Low' && p.risk_insufficient === true,
      }
      : null,
    openAlerts: { high: p.open_high, medium: p.open_medium, low: p.open_low },
  };
}

const visibleSites = (user: SessionUser): readonly number[] | null => (user.role === 'admin' ? null : user.siteIds);

async function visiblePatient(db: Db, user: SessionUser, ref: string): Promise<PatientRow> {
  const id = parsePatientRef(ref);
  const [row] = id === null ? [] : await listPatients(db, { siteIds: null, ids: [id], limit: 1 });
  // Another site's patient is indistinguishable from none.
  if (!row || !canSeeSite(user, row.site_id)) throw new ServiceError('not_found', 'no such patient');
  return row;
}

function time(name: string, raw: unknown, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const t = typeof raw === 'string' && /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(raw) ? Date.parse(raw) : NaN;
  if (Number.isNaN(t)) throw new ServiceError('bad_message', `${name} must be an RFC 3339 date or time`);
  return t;
}

// Unknown fields and wrong types are refused by the schema (no coercion, nothing removed:
// app.ts); what a shape cannot say (a real NHS number, a birth date that exists, a known
// site) service.ts checks.
export const patientRoutes: FastifyPluginAsyncTypebox<PatientRoutesOptions> = async (app, { db, sessions, vault, now = Date.now }) => {
  /** One patient by internal id, identifiers opened. */
  const opened = async (id: number): Promise<OpenedPatient> => {
    const [row] = await openIdentities(vault, await listPatients(db, { siteIds: null, ids: [id], limit: 1 }));
    if (!row) throw new ServiceError('not_found', 'no such patient');
    return row;
  };
  const reader = requireUser(sessions, 'clinician', 'admin');
  const admin = requireUser(sessions, 'admin');
  // Guards are onRequest hooks: who may ask comes before what was asked (its body or query).

  app.get('/v1/patients', {
    onRequest: reader,
    schema: {
      tags: ['patients'],
      summary: 'patients of the caller’s sites, all or those a search finds, in pages',
      querystring: Type.Object(
        {
          after: Type.Optional(Type.String({ description: 'a patient id (p-17): the page after it' })),
          limit: Type.Optional(Type.String({ pattern: '^\\d{0,4}$', description: 'a whole number from 1 to 1000 (200 when absent)' })),
          nhsNumber: Type.Optional(Type.String({ maxLength: 20, description: 'only the patient with this NHS number (10 digits, spaces allowed), found through its blind index' })),
          q: Type.Optional(Type.String({
            maxLength: MAX_QUERY_LENGTH,
            description: 'a search: an NHS number (10 digits, spaces allowed), a device serial or the start of one, or whole words of the given and family names (every word must match; case, accents and punctuation ignored; no prefixes). Pages with `after` and `limit` as the list does.',
          })),
        },
        { additionalProperties: false },
      ),
      response: {
        200: Type.Object({ patients: Type.Array(PatientSchema), next: Nullable(Type.String({ description: 'the `after` of the next page; null on the last one' })) }),
        ...errorResponses('bad_message', ...SIGNED_IN),
      },
    },
  }, async (req) => {
    const user = signedInUser(req);
    const q = req.query;
    let afterId: number | undefined;
    if (q.after !== undefined && q.after !== '') {
      const parsed = parsePatientRef(q.after);
      if (parsed === null) throw new ServiceError('bad_message', 'after must be a patient id (p-17)');
      afterId = parsed;
    }
    const limitRaw = q.limit;
    const limit = limitRaw === undefined || limitRaw === '' ? 200 : typeof limitRaw === 'string' && /^\d{1,4}$/.test(limitRaw) ? Number(limitRaw) : NaN;
    if (!(limit >= 1 && limit <= 1000)) throw new ServiceError('bad_message', 'limit must be a whole number from 1 to 1000');
    // One row more than the page: `next` only when there is a next page, so a list of exactly
    // `limit` patients does not send the caller to an empty one.
    let nhsIndex: string | undefined;
    if (q.nhsNumber !== undefined) {
      const nhs = normaliseNhsNumber(q.nhsNumber);
      if (!isValidNhsNumber(nhs)) throw new ServiceError('bad_message', 'nhsNumber is not a valid NHS number (10 digits with a valid check digit)');
      nhsIndex = nhsNumberIndex(vault, nhs);
    }
    let query: PatientQuery | null = null;
    try {
      query = q.q === undefined ? null : parsePatientQuery(q.q);
    } catch (e) {
      if (e instanceof QueryError) throw new ServiceError('bad_message', e.message);
      throw e;
    }
    if (query?.kind === 'nhsNumber') {
      const index = nhsNumberIndex(vault, query.nhsNumber);
      // Both given and different: no patient has two NHS numbers.
      if (nhsIndex !== undefined && nhsIndex !== index) throw new ServiceError('bad_message', 'nhsNumber and q name different NHS numbers');
      nhsIndex = index;
    }
    const search = query === null || query.kind === 'nhsNumber' ? undefined : {
      nameTokens: query.kind === 'serial' ? undefined : query.words.map((w) => vault.nameToken(w)),
      serialPattern: query.kind === 'name' ? undefined : serialPrefixPattern(query.serial),
    };
    const fetched = await listPatients(db, { siteIds: visibleSites(user), afterId, nhsNumberIndex: nhsIndex, search, limit: limit + 1 });
    const rows = await openIdentities(vault, fetched.slice(0, limit));
    // A search is audited as one, with its kind: never with the text searched for.
    const kind = query?.kind ?? (nhsIndex === undefined ? undefined : 'nhsNumber');
    await recordAudit(db, { user, action: 'patient.list', route: '/v1/patients', detail: { count: rows.length, patients: rows.map((r) => r.id), ...(kind ? { search: kind } : {}) } });
    const last = rows.at(-1);
    return { patients: rows.map(present), next: fetched.length > limit && last ? patientRef(last.id) : null };
  });

  app.get(
    '/v1/patients/:id',
    {
      onRequest: reader,
      schema: {
        tags: ['patients'],
        summary: 'one patient: devices, risk, alerts of every status (newest first)',
        params: PatientParams,
        response: { 200: PatientDetail, ...errorResponses('not_found', ...SIGNED_IN) },
      },
    },
    async (req) => {
      const user = signedInUser(req);
      const row = await visiblePatient(db, user, req.params.id);
      const devices = await patientDevices(db, row.id);
      const alerts = await listAlerts(db, { siteIds: null, patientId: row.id, newestFirst: true, limit: 500 });
      const serials = devices.map((d) => d.serial);
      const [settings, episodes, silences] = await Promise.all([
        latestObservations(db, serials), episodesOf(db, serials, 100), silencesOf(db, devices.map((d) => d.id), 100),
      ]);
      const [identity] = await openIdentities(vault, [row]);
      await recordAudit(db, { user, action: 'patient.read', route: '/v1/patients/:id', patientId: row.id });
      return {
        patient: {
          ...present(identity!),
          devices: devices.map((d) => ({
            serial: d.serial, type: d.device_type, firstSeenAt: d.first_seen_at.toISOString(), lastReadingAt: d.last_reading_at?.toISOString() ?? null,
            // HL7 IDCO messages for this device that gave another birth date than this patient's.
            identityWarning: d.mismatch_messages === null ? null : {
              source: 'idco' as const,
              messages: d.mismatch_messages,
              firstSeenAt: d.mismatch_first_at!.toISOString(),
              lastSeenAt: d.mismatch_last_at!.toISOString(),
            },
            settings: settings.filter((o) => o.serial === d.serial).map((o) => ({
              term: o.ref, subId: o.sub_id, kind: o.kind === 'status' ? 'status' as const : 'setting' as const, value: o.value, unit: o.unit, reportedAt: o.reported_at.toISOString(),
            })),
          })),
        },
        alerts: alerts.map(presentAlert),
        episodes: episodes.map((e) => ({
          device: e.serial, class: e.class, type: e.type, vendorType: e.vendor_type, at: e.at?.toISOString() ?? null,
          durationS: e.duration_s, therapy: e.therapy, result: e.result, reportedAt: e.reported_at.toISOString(),
        })),
        connectivityEpisodes: silences.map((c) => ({
          device: c.serial, from: c.from_at.toISOString(), to: c.to_at.toISOString(),
          hours: Math.floor((c.to_at.getTime() - c.from_at.getTime()) / 3_600_000), limitHours: c.limit_hours, alerted: c.alerted,
        })),
      };
    },
  );

  app.get(
    '/v1/patients/:id/readings',
    {
      onRequest: reader,
      schema: {
        tags: ['patients'],
        summary: 'readings of the patient’s devices over a period, per metric, for trend charts',
        description: `At most ${MAX_PERIOD_DAYS} days and ${MAX_POINTS} readings; a longer period is refused with 400.`,
        params: PatientParams,
        querystring: Type.Object(
          {
            from: Type.Optional(Type.String({ description: 'RFC 3339 date or date-time; 90 days before `to` when absent' })),
            to: Type.Optional(Type.String({ description: 'RFC 3339 date or date-time; now when absent' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Readings, ...errorResponses('bad_message', 'not_found', ...SIGNED_IN) },
      },
    },
    async (req) => {
      const user = signedInUser(req);
      const q = req.query;
      const to = time('to', q.to, now());
      const from = time('from', q.from, to - 90 * DAY);
      if (from >= to) throw new ServiceError('bad_message', 'from must be before to');
      if (to - from > MAX_PERIOD_DAYS * DAY) throw new ServiceError('bad_message', `the period must be at most ${MAX_PERIOD_DAYS} days`);
      const row = await visiblePatient(db, user, req.params.id);
      const devices = await patientDevices(db, row.id);
      const points = devices.length === 0 ? [] : await patientReadings(db, devices.map((d) => d.id), new Date(from), new Date(to), MAX_POINTS);
      if (points.length > MAX_POINTS) throw new ServiceError('bad_message', 'too many readings in this period; choose a shorter one');
      await recordAudit(db, { user, action: 'patient.readings', route: '/v1/patients/:id/readings', patientId: row.id, detail: { from, to } });
      const series: Record<string, { unit: string; points: Array<[number, number]> }> = {};
      for (const p of points) {
        const def = metricById(p.metric);
        if (!def) continue;
        (series[def.name] ??= { unit: def.unit, points: [] }).points.push([p.at.getTime(), p.value]);
      }
      return { patient: patientRef(row.id), from: new Date(from).toISOString(), to: new Date(to).toISOString(), series };
    },
  );

  app.post(
    '/v1/patients',
    {
      onRequest: admin,
      schema: {
        tags: ['patients'],
        summary: 'register a patient (admins)',
        body: CreateBody,
        response: { 201: PatientBody, ...errorResponses(...JSON_BODY, 'conflict', ...SIGNED_IN_CHANGE) },
      },
    },
    async (req, reply) => {
      const user = signedInUser(req);
      const id = await createPatient(db, vault, req.body, now());
      await recordAudit(db, { user, action: 'patient.create', route: '/v1/patients', patientId: id });
      return reply.code(201).send({ patient: present(await opened(id)) });
    },
  );

  app.post(
    '/v1/patients/:id/devices',
    {
      onRequest: admin,
      schema: {
        tags: ['patients'],
        summary: 'enrol a device to a patient of its site (admins)',
        params: PatientParams,
        body: EnrolBody,
        response: { 200: PatientBody, ...errorResponses(...JSON_BODY, 'not_found', 'conflict', ...SIGNED_IN_CHANGE) },
      },
    },
    async (req) => {
      const user = signedInUser(req);
      const row = await visiblePatient(db, user, req.params.id);
      const { deviceId, correctionOf } = await enrolDevice(db, vault, { id: row.id, siteId: row.site_id }, req.body.serial, {
        by: user.id,
        deviceType: req.body.deviceType,
        correction: req.body.correction,
      });
      await recordAudit(db, {
        user,
        action: correctionOf.length > 0 ? 'patient.enrol.correction' : 'patient.enrol',
        route: '/v1/patients/:id/devices',
        patientId: row.id,
        deviceId,
        ...(correctionOf.length > 0 ? { detail: { previousPatientIds: correctionOf } } : {}),
      });
      return { patient: present(await opened(row.id)) };
    },
  );

  app.delete(
    '/v1/patients/:id/devices/:serial',
    {
      onRequest: admin,
      schema: {
        tags: ['patients'],
        summary: 'unenrol a device from a patient (admins)',
        params: Type.Object({ id: PatientIdParam, serial: Type.String({ description: 'device serial' }) }),
        response: { 204: Type.Null({ description: 'unenrolled' }), ...errorResponses('not_found', ...SIGNED_IN_CHANGE) },
      },
    },
    async (req, reply) => {
      const user = signedInUser(req);
      const row = await visiblePatient(db, user, req.params.id);
      const device = isDeviceSerial(req.params.serial) ? await deviceBySerial(db, req.params.serial) : undefined;
      if (!device || !(await unenrol(db, device.id, row.id, user.id))) throw new ServiceError('not_found', 'the device is not enrolled to this patient');
      await recordAudit(db, { user, action: 'patient.unenrol', route: '/v1/patients/:id/devices/:serial', patientId: row.id, deviceId: device.id });
      return reply.code(204).send(null);
    },
  );
};
