import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { OUTCOMES } from '../domain/outcomes.ts';
import { ServiceError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { siteIdByCode } from '../store/sites.ts';
import { outcomeCounts } from '../store/outcome-report.ts';
import { recordAudit } from '../auth/audit.ts';
import { canSeeSite, requireUser, signedInUser } from '../auth/guard.ts';
import type { SessionStore } from '../auth/sessions.ts';
import { errorResponses, Nullable, SIGNED_IN } from '../http/schemas.ts';
import { outcomeReport, parseReportQuery } from './outcome-report.ts';

export interface ReportRoutesOptions {
  readonly db: Db;
  readonly sessions: SessionStore;
}

const Bound = (description: string) =>
  Type.Optional(Type.String({ maxLength: 40, description: `${description}: a date (2026-03-01, midnight UTC) or an RFC 3339 date-time with an offset` }));

const Query = Type.Object(
  {
    site: Type.Optional(Type.String({ maxLength: 64, description: 'a site code; absent: every site the caller sees' })),
    from: Bound('first moment of the period (inclusive); absent: no lower bound'),
    to: Bound('end of the period (exclusive); absent: no upper bound'),
  },
  { additionalProperties: false },
);

const Count = Type.Integer({ minimum: 0 });
const Share = Nullable(Type.Number({ minimum: 0, maximum: 1 }));
const Figures = {
  raised: Count,
  resolved: Count,
  outcomes: Type.Object(Object.fromEntries(OUTCOMES.map((o) => [o, Count])), { additionalProperties: false }),
  withoutOutcome: { ...Count, description: 'resolved alerts whose outcome is not recorded' },
  ppv: { ...Share, description: 'true outcomes / resolved alerts with an outcome; null when none has one' },
  ppvLow: { ...Share, description: 'Wilson 95 % interval of ppv, low end' },
  ppvHigh: { ...Share, description: 'Wilson 95 % interval of ppv, high end' },
};

const Report = Type.Object({
  site: Nullable(Type.String({ description: 'the site asked for; null: every site the caller sees' })),
  from: Nullable(Type.String({ format: 'date-time' })),
  to: Nullable(Type.String({ format: 'date-time' })),
  kinds: Type.Array(Type.Object({ kind: Type.String(), ...Figures })),
  total: Type.Object(Figures),
});

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * `GET /v1/reports/outcomes`: what the alerts raised at a site in a period turned out to be,
 * per kind. Clinicians of the site and admins; audited. Counts only, no patient's data.
 */
export const reportRoutes: FastifyPluginAsyncTypebox<ReportRoutesOptions> = async (app, { db, sessions }) => {
  const guard = requireUser(sessions, 'clinician', 'admin');

  app.get('/v1/reports/outcomes', {
    onRequest: guard,
    schema: {
      tags: ['alerts'],
      summary: 'per alert kind: raised, resolved, outcomes and positive predictive value of the alerts raised in [from, to)',
      querystring: Query,
      response: { 200: Report, ...errorResponses('bad_message', 'not_found', ...SIGNED_IN) },
    },
  }, async (req) => {
    const user = signedInUser(req);
    const q = parseReportQuery(req.query);
    let siteIds: readonly number[] | null = user.role === 'admin' ? null : user.siteIds;
    if (q.site !== null) {
      const id = await siteIdByCode(db, q.site);
      // Another site's is indistinguishable from none.
      if (id === undefined || !canSeeSite(user, id)) throw new ServiceError('not_found', 'no such site');
      siteIds = [id];
    }
    const groups = await outcomeCounts(db, siteIds, q.from, q.to);
    await recordAudit(db, {
      user, action: 'alert.outcome_report', route: '/v1/reports/outcomes',
      detail: { site: q.site, from: iso(q.from), to: iso(q.to) },
    });
    return { site: q.site, from: iso(q.from), to: iso(q.to), ...outcomeReport(groups) };
  });
};
