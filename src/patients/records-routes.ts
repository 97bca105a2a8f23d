import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { metricById } from '../domain/vocabulary.ts';
import { ServiceError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import {
  episodesBetween, positiveCounts, riskChangesBetween, transmissionsBefore, transmissionsBetween, type TransmissionCursor,
} from '../store/patient-records.ts';
import { recordAudit } from '../auth/audit.ts';
import { requireUser, signedInUser, type SessionUser } from '../auth/guard.ts';
import type { SessionStore } from '../auth/sessions.ts';
import { selectDevices } from '../replay/replay.ts';
import { errorResponses, PatientIdParam, SIGNED_IN } from '../http/schemas.ts';
import { visiblePatientSite } from './access.ts';
import { patientRef } from './identity.ts';
import { fluidSeries } from './heart-failure-series.ts';
import { EPISODE_METRIC_IDS, mergeEpisodes } from './episodes.ts';
import { missingMetrics, USUAL_OF } from './transmissions.ts';
import { EpisodesAnswer, HeartFailureAnswer, PeriodQuery, TransmissionsAnswer, TransmissionsQuery } from './records-schemas.ts';

export interface RecordsRoutesOptions {
  readonly db: Db;
  readonly sessions: SessionStore;
  readonly now?: () => number;
}

const DAY = 86_400_000;
const MAX_PERIOD_DAYS = 3 * 366;
/** Episodes listed; more in the period are flagged `truncated`. */
export const MAX_EPISODES = 500;
const RFC3339 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

function time(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const t = RFC3339.test(raw) ? Date.parse(raw) : NaN;
  if (Number.isNaN(t)) throw new ServiceError('bad_message', `${name} must be an RFC 3339 date or date-time`);
  return t;
}

/** [from, to) from the query: `to` now and `from` 90 days before when absent; at most MAX_PERIOD_DAYS. */
function period(q: { from?: string; to?: string }, now: number): { from: number; to: number } {
  const to = time('to', q.to, now);
  const from = time('from', q.from, to - 90 * DAY);
  if (from >= to) throw new ServiceError('bad_message', 'from must be before to');
  if (to - from > MAX_PERIOD_DAYS * DAY) throw new ServiceError('bad_message', `the period must be at most ${MAX_PERIOD_DAYS} days`);
  return { from, to };
}

const metricName = (id: number): string => metricById(id)?.name ?? `metric ${id}`;

/**
 * The patient page's heart-failure panel, episode list and transmission view. Clinicians of
 * the patient's site and admins; every read audited.
 */
export const recordsRoutes: FastifyPluginAsyncTypebox<RecordsRoutesOptions> = async (app, { db, sessions, now = Date.now }) => {
  const reader = requireUser(sessions, 'clinician', 'admin');
  const params = Type.Object({ id: PatientIdParam });
  /** The patient, if the caller may see it (404 otherwise), and its devices. */
  const patientDevices = async (user: SessionUser, id: string) => {
    const p = await visiblePatientSite(db, user, id);
    const ref = patientRef(p.id);
    return { p, ref, devices: await selectDevices(db, { patients: [ref] }) };
  };

  app.get('/v1/patients/:id/heart-failure', {
    onRequest: reader,
    schema: {
      tags: ['patients'],
      summary: 'daily fluid index (as the engine computes it), its threshold and reference impedance, and heart-failure risk changes over a period',
      description: `The fluid index is the engine's own (src/engine/hf/fluid.ts): the devices' stored readings are run through the engine with the settings in force when each was received, from the newest engine snapshot before the period. At most ${MAX_PERIOD_DAYS} days.`,
      params,
      querystring: PeriodQuery,
      response: { 200: HeartFailureAnswer, ...errorResponses('bad_message', 'not_found', ...SIGNED_IN) },
    },
  }, async (req) => {
    const user = signedInUser(req);
    const { from, to } = period(req.query, now());
    const { p, ref, devices } = await patientDevices(user, req.params.id);
    const [series, risk] = await Promise.all([
      fluidSeries(db, devices, from, to),
      riskChangesBetween(db, devices.map((d) => d.id), new Date(from), new Date(to)),
    ]);
    const out = devices.map((d, i) => ({
      serial: d.serial,
      threshold: series[i]!.threshold,
      riskAtFrom: (risk.atFrom.get(d.id) ?? null) as 'Low' | 'Medium' | 'High' | null,
      days: series[i]!.days.map((x) => ({ ...x, at: new Date(x.at).toISOString() })),
    }));
    const serialOf = new Map(devices.map((d) => [d.id, d.serial]));
    await recordAudit(db, { user, action: 'patient.heart_failure', route: '/v1/patients/:id/heart-failure', patientId: p.id, detail: { from, to } });
    return {
      patient: ref, from: new Date(from).toISOString(), to: new Date(to).toISOString(), devices: out,
      riskChanges: risk.changes.map((c) => ({
        device: serialOf.get(c.device_id) ?? '', at: c.at.toISOString(), status: c.status as 'Low', previous: c.previous as 'Low', score: Math.round(c.score * 1000) / 1000,
      })),
    };
  });

  app.get('/v1/patients/:id/episodes', {
    onRequest: reader,
    schema: {
      tags: ['patients'],
      summary: 'ventricular episodes, NSVT, ATP and shocks counted in readings, with the episodes HL7 IDCO messages reported, newest first',
      description: `At most ${MAX_EPISODES} (truncated says when more were in the period); at most ${MAX_PERIOD_DAYS} days.`,
      params,
      querystring: PeriodQuery,
      response: { 200: EpisodesAnswer, ...errorResponses('bad_message', 'not_found', ...SIGNED_IN) },
    },
  }, async (req) => {
    const user = signedInUser(req);
    const { from, to } = period(req.query, now());
    const { p, ref, devices } = await patientDevices(user, req.params.id);
    const serialOf = new Map(devices.map((d) => [d.id, d.serial]));
    const [counts, idco] = await Promise.all([
      positiveCounts(db, devices.map((d) => d.id), EPISODE_METRIC_IDS, new Date(from), new Date(to), MAX_EPISODES + 1),
      episodesBetween(db, devices.map((d) => d.serial), new Date(from), new Date(to), MAX_EPISODES + 1),
    ]);
    const merged = mergeEpisodes(
      counts.map((c) => ({ serial: serialOf.get(c.device_id) ?? '', metric: metricName(c.metric), at: c.at, value: c.value, receivedAt: c.received_at })),
      idco, MAX_EPISODES,
    );
    await recordAudit(db, { user, action: 'patient.episodes', route: '/v1/patients/:id/episodes', patientId: p.id, detail: { from, to } });
    return { patient: ref, from: new Date(from).toISOString(), to: new Date(to).toISOString(), ...merged };
  });

  app.get('/v1/patients/:id/transmissions', {
    onRequest: reader,
    schema: {
      tags: ['patients'],
      summary: 'each transmission of the patient’s devices received in a period: readings of one device stored together from one gateway, newest first, with the metrics the device usually sends that it lacked',
      params,
      querystring: TransmissionsQuery,
      response: { 200: TransmissionsAnswer, ...errorResponses('bad_message', 'not_found', ...SIGNED_IN) },
    },
  }, async (req) => {
    const user = signedInUser(req);
    const q = req.query;
    const { from, to } = period(q, now());
    const limit = q.limit === undefined || q.limit === '' ? 50 : Number(q.limit);
    if (!(Number.isInteger(limit) && limit >= 1 && limit <= 200)) throw new ServiceError('bad_message', 'limit must be a whole number from 1 to 200');
    let before: TransmissionCursor | null = null;
    if (q.before !== undefined && q.before !== '') {
      const m = /^(\d{1,18})-(\d{1,9})-(\d{1,9})$/.exec(q.before);
      if (!m) throw new ServiceError('bad_message', 'before must be the `next` of a previous page');
      before = { received: m[1]!, deviceId: Number(m[2]), gatewayId: Number(m[3]) };
    }
    const { p, ref, devices } = await patientDevices(user, req.params.id);
    const serialOf = new Map(devices.map((d) => [d.id, d.serial]));
    const fetched = await transmissionsBetween(db, devices.map((d) => d.id), new Date(from), new Date(to), before, limit + 1);
    const page = fetched.slice(0, limit);
    const key = (t: { device_id: number; gateway_id: number; received: string }) => `${t.received}-${t.device_id}-${t.gateway_id}`;
    // Each device's transmissions just before its oldest one on this page: its usual set.
    const oldest = new Map<number, string>();
    for (const t of page) {
      const o = oldest.get(t.device_id);
      if (o === undefined || BigInt(t.received) < BigInt(o)) oldest.set(t.device_id, t.received);
    }
    const earlierRows = await transmissionsBefore(db, [...oldest].map(([deviceId, b]) => ({ deviceId, before: b })), USUAL_OF);
    const earlier = new Map<number, number[][]>();
    for (const r of earlierRows) (earlier.get(r.device_id) ?? earlier.set(r.device_id, []).get(r.device_id)!).push(r.metrics);
    const missing = missingMetrics(page.map((t) => ({ key: key(t), deviceId: t.device_id, received: t.received, metrics: t.metrics })), earlier);
    await recordAudit(db, { user, action: 'patient.transmissions', route: '/v1/patients/:id/transmissions', patientId: p.id, detail: { from, to, count: page.length } });
    const last = page.at(-1);
    return {
      patient: ref, from: new Date(from).toISOString(), to: new Date(to).toISOString(),
      transmissions: page.map((t) => {
        const lacked = missing.get(key(t));
        return {
          device: serialOf.get(t.device_id) ?? '', gateway: t.gateway, receivedAt: t.received_at.toISOString(),
          firstAt: t.first_at.toISOString(), lastAt: t.last_at.toISOString(), readings: t.readings,
          metrics: [...t.metrics].sort((a, b) => a - b).map(metricName),
          missing: lacked === undefined || lacked === null ? null : lacked.map(metricName),
        };
      }),
      next: fetched.length > limit && last ? key(last) : null,
    };
  });
};
