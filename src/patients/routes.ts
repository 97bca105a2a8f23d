import type { FastifyPluginAsync } from 'fastify';
import { metricById } from '../domain/vocabulary.ts';
import { ServiceError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { listAlerts } from '../store/alerts.ts';
import { deviceBySerial, listPatients, patientDevices, patientReadings, unenrol, type PatientRow } from '../store/patients.ts';
import { recordAudit } from '../auth/audit.ts';
import { canSeeSite, requireUser, signedInUser, type SessionUser } from '../auth/guard.ts';
import type { SessionStore } from '../auth/sessions.ts';
import { presentAlert } from '../alerts/present.ts';
import { parsePatientRef, patientRef } from './identity.ts';
import { createPatient, enrolDevice, isDeviceSerial } from './service.ts';

export interface PatientRoutesOptions {
  readonly db: Db;
  readonly sessions: SessionStore;
  readonly now?: () => number;
}

const DAY = 86_400_000;
/** Readings one chart request may return; a longer period is refused with advice. */
export const MAX_POINTS = 200_000;
const MAX_PERIOD_DAYS = 3 * 366;

function present(p: PatientRow) {
  return {
    id: patientRef(p.id),
    name: `${p.given_name} ${p.family_name}`,
    familyName: p.family_name,
    givenName: p.given_name,
    site: p.site,
    nhsNumber: p.nhs_number,
    dateOfBirth: p.date_of_birth,
    sex: p.sex,
    devices: p.devices,
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

const createSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['site', 'familyName', 'givenName', 'dateOfBirth'],
  properties: {
    site: { type: 'string', maxLength: 32 },
    familyName: { type: 'string', minLength: 1, maxLength: 200 },
    givenName: { type: 'string', minLength: 1, maxLength: 200 },
    nhsNumber: { type: ['string', 'null'], maxLength: 20 },
    dateOfBirth: { type: 'string', maxLength: 10 },
    sex: { type: 'string', enum: ['female', 'male', 'other', 'unknown'] },
  },
} as const;

const enrolSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['serial'],
  properties: {
    serial: { type: 'string', minLength: 1, maxLength: 64 },
    deviceType: { type: 'string', enum: ['pacemaker', 'icd', 'crt_d', 'crt_p', 'loop_recorder', 'unknown'] },
    // The device's earlier enrolment to another patient was a mistake: move its history here.
    correction: { type: 'boolean' },
  },
} as const;

/**
 * Fastify's validator drops unknown properties and coerces types (42 becomes "42"); here a
 * misspelt field or a number for a name must be an error, not silently changed data.
 */
function strictBody(body: unknown, schema: { properties: Record<string, { type: string | readonly string[] }> }): void {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ServiceError('bad_message', 'the body must be a JSON object');
  for (const [k, v] of Object.entries(body)) {
    // Own properties only: `constructor` or `__proto__` must not find Object.prototype's.
    const prop = Object.hasOwn(schema.properties, k) ? schema.properties[k] : undefined;
    if (!prop) throw new ServiceError('bad_message', `unknown field: ${k}`);
    const types = typeof prop.type === 'string' ? [prop.type] : prop.type;
    if (!types.includes(v === null ? 'null' : typeof v)) throw new ServiceError('bad_message', `${k} must be ${types.join(' or ')}`);
  }
}

/** Patients: lists and pages for clinicians of the site (audited), enrolment for admins. */
export const patientRoutes: FastifyPluginAsync<PatientRoutesOptions> = async (app, { db, sessions, now = Date.now }) => {
  const reader = requireUser(sessions, 'clinician', 'admin');
  const admin = requireUser(sessions, 'admin');

  app.get('/v1/patients', { preHandler: reader, schema: { tags: ['patients'], summary: 'patients of the caller’s sites' } }, async (req) => {
    const user = signedInUser(req);
    const q = req.query as Record<string, unknown>;
    const unknown = Object.keys(q).find((k) => k !== 'after' && k !== 'limit');
    if (unknown) throw new ServiceError('bad_message', `unknown query parameter: ${unknown}`);
    let afterId: number | undefined;
    if (q.after !== undefined && q.after !== '') {
      const parsed = typeof q.after === 'string' ? parsePatientRef(q.after) : null;
      if (parsed === null) throw new ServiceError('bad_message', 'after must be a patient id (p-17)');
      afterId = parsed;
    }
    const limitRaw = q.limit;
    const limit = limitRaw === undefined || limitRaw === '' ? 200 : typeof limitRaw === 'string' && /^\d{1,4}$/.test(limitRaw) ? Number(limitRaw) : NaN;
    if (!(limit >= 1 && limit <= 1000)) throw new ServiceError('bad_message', 'limit must be a whole number from 1 to 1000');
    const rows = await listPatients(db, { siteIds: visibleSites(user), afterId, limit });
    await recordAudit(db, { user, action: 'patient.list', route: '/v1/patients', detail: { count: rows.length, patients: rows.map((r) => r.id) } });
    const last = rows.at(-1);
    return { patients: rows.map(present), next: rows.length === limit && last ? patientRef(last.id) : null };
  });

  app.get<{ Params: { id: string } }>(
    '/v1/patients/:id',
    { preHandler: reader, schema: { tags: ['patients'], summary: 'one patient: devices, risk, alerts of every status (newest first)' } },
    async (req) => {
      const user = signedInUser(req);
      const row = await visiblePatient(db, user, req.params.id);
      const devices = await patientDevices(db, row.id);
      const alerts = await listAlerts(db, { siteIds: null, patientId: row.id, newestFirst: true, limit: 500 });
      await recordAudit(db, { user, action: 'patient.read', route: '/v1/patients/:id', patientId: row.id });
      return {
        patient: {
          ...present(row),
          devices: devices.map((d) => ({
            serial: d.serial, type: d.device_type, firstSeenAt: d.first_seen_at.toISOString(), lastReadingAt: d.last_reading_at?.toISOString() ?? null,
            // HL7 IDCO messages for this device that gave another birth date than this patient's.
            identityWarning: d.mismatch_messages === null ? null : {
              source: 'idco',
              messages: d.mismatch_messages,
              firstSeenAt: d.mismatch_first_at!.toISOString(),
              lastSeenAt: d.mismatch_last_at!.toISOString(),
            },
          })),
        },
        alerts: alerts.map(presentAlert),
      };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/patients/:id/readings',
    { preHandler: reader, schema: { tags: ['patients'], summary: 'readings of the patient’s devices over a period, per metric, for trend charts' } },
    async (req) => {
      const user = signedInUser(req);
      const q = req.query as Record<string, unknown>;
      const unknown = Object.keys(q).find((k) => k !== 'from' && k !== 'to');
      if (unknown) throw new ServiceError('bad_message', `unknown query parameter: ${unknown}`);
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

  app.post<{ Body: { site: string; familyName: string; givenName: string; nhsNumber?: string | null; dateOfBirth: string; sex?: string } }>(
    '/v1/patients',
    {
      // Who may ask comes before what was asked: onRequest, ahead of body checks.
      onRequest: admin,
      preValidation: async (req) => strictBody(req.body, createSchema),
      schema: { tags: ['patients'], summary: 'register a patient (admins)', body: createSchema },
    },
    async (req, reply) => {
      const user = signedInUser(req);
      const id = await createPatient(db, req.body, now());
      await recordAudit(db, { user, action: 'patient.create', route: '/v1/patients', patientId: id });
      const [row] = await listPatients(db, { siteIds: null, ids: [id], limit: 1 });
      return reply.code(201).send({ patient: present(row!) });
    },
  );

  app.post<{ Params: { id: string }; Body: { serial: string; deviceType?: string; correction?: boolean } }>(
    '/v1/patients/:id/devices',
    {
      onRequest: admin,
      preValidation: async (req) => strictBody(req.body, enrolSchema),
      schema: { tags: ['patients'], summary: 'enrol a device to a patient of its site (admins)', body: enrolSchema },
    },
    async (req) => {
      const user = signedInUser(req);
      const row = await visiblePatient(db, user, req.params.id);
      const { deviceId, correctionOf } = await enrolDevice(db, { id: row.id, siteId: row.site_id }, req.body.serial, {
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
      const [after] = await listPatients(db, { siteIds: null, ids: [row.id], limit: 1 });
      return { patient: present(after!) };
    },
  );

  app.delete<{ Params: { id: string; serial: string } }>(
    '/v1/patients/:id/devices/:serial',
    { preHandler: admin, schema: { tags: ['patients'], summary: 'unenrol a device from a patient (admins)' } },
    async (req, reply) => {
      const user = signedInUser(req);
      const row = await visiblePatient(db, user, req.params.id);
      const device = isDeviceSerial(req.params.serial) ? await deviceBySerial(db, req.params.serial) : undefined;
      if (!device || !(await unenrol(db, device.id, row.id, user.id))) throw new ServiceError('not_found', 'the device is not enrolled to this patient');
      await recordAudit(db, { user, action: 'patient.unenrol', route: '/v1/patients/:id/devices/:serial', patientId: row.id, deviceId: device.id });
      return reply.code(204).send();
    },
  );
};
