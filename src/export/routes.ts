// GET /v1/exports/timeline: the de-identified event timeline, streamed, for analysts.
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { recordAudit } from '../auth/audit.ts';
import { requireUser, signedInUser } from '../auth/guard.ts';
import type { SessionStore } from '../auth/sessions.ts';
import { ServiceError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { describeRequest, parseExportRequest } from './filter.ts';
import { FORMATTERS } from './format.ts';
import type { ShiftMode } from './deidentify.ts';
import { runExport, type ExportTally } from './run.ts';
import { DEFAULT_MIN_CELL } from './small-cells.ts';
import { exportSites } from './scope.ts';
import { errorResponses, SIGNED_IN } from '../http/schemas.ts';

export interface ExportRoutesOptions {
  readonly db: Db;
  readonly sessions: SessionStore;
  /** EXPORT_KEY; null refuses every export with `export_key_missing`. */
  readonly exportKey: string | null;
  /** k of the small-cell protection (small-cells.ts); DEFAULT_MIN_CELL unless set. The analyst cannot lower it. */
  readonly minCell?: number;
  /** Date shift (deidentify.ts): `days`, contract v1, unless set. */
  readonly shift?: ShiftMode;
}

const ROUTE = '/v1/exports/timeline';

// Strings as sent (a list may also be repeated: site=a&site=b); filter.ts reads them, with
// messages naming the accepted forms. Other parameters are ignored, as they always were.
const List = (description: string) => Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())], { description }));
const ExportQuery = Type.Object({
  from: Type.Optional(Type.String({ description: 'RFC 3339 date-time or date, on the shifted clock of the file' })),
  to: Type.Optional(Type.String({ description: 'RFC 3339 date-time or date, on the shifted clock of the file' })),
  site: List('site codes, comma-separated; your sites when absent'),
  kind: List('event kinds, comma-separated'),
  format: Type.Optional(Type.String({ description: 'ndjson (default) or csv' })),
  include: List('`readings` to add the readings; `outcomes` to add alert_outcome rows (an outcome recorded after the resolution; not one of the contract\'s events)'),
});

export const exportRoutes: FastifyPluginAsyncTypebox<ExportRoutesOptions> = async (app, { db, sessions, exportKey, minCell = DEFAULT_MIN_CELL, shift = 'days' }) => {
  app.get(
    ROUTE,
    {
      // onRequest: who may ask comes before what was asked (the query is validated after it).
      onRequest: requireUser(sessions, 'analyst'),
      schema: {
        summary: 'De-identified event timeline (analysts)',
        description: 'Streams one row per event; see docs/export.md.',
        querystring: ExportQuery,
        produces: ['application/x-ndjson', 'text/csv'],
        response: {
          // Text on the wire, a stream in the handler (never serialised by Fastify).
          200: Type.Unsafe<PassThrough>({ type: 'string', description: 'NDJSON (one JSON object a line) or CSV with a header row, as `format` asks; a file attachment' }),
          ...errorResponses('bad_message', ...SIGNED_IN, 'export_key_missing'),
        },
      },
    },
    async (req, reply) => {
      const user = signedInUser(req);
      if (exportKey === null) throw new ServiceError('export_key_missing');
      const request = parseExportRequest(req.query);
      const sites = await exportSites(db, user, request.sites);
      const filter = describeRequest(request);
      await recordAudit(db, { user, action: 'export.timeline.start', route: ROUTE, detail: { filter } });

      const format = FORMATTERS[request.format];
      const out = new PassThrough();
      const aborted = new AbortController();
      // 'close' also follows a normal end; only an unfinished response is a disconnect.
      reply.raw.on('close', () => {
        if (!reply.raw.writableFinished) aborted.abort();
      });
      const tally: ExportTally = { rows: 0, subjects: 0 };
      const write = async (chunk: string | Buffer) => {
        if (!out.write(chunk)) await once(out, 'drain', { signal: aborted.signal });
      };
      const started = Date.now();
      runExport({ db, key: exportKey, request, sites, write, signal: aborted.signal, tally, minCell, shift })
        .then(() => {
          out.end();
          return 'complete';
        })
        .catch((err: unknown) => {
          const outcome = aborted.signal.aborted ? 'cancelled' : 'failed';
          // No identifiers: the error's class and code only.
          if (outcome === 'failed') req.log.error({ err: { name: (err as Error)?.name, code: (err as { code?: string })?.code } }, 'export failed mid-stream');
          out.destroy(err instanceof Error ? err : new Error(String(err)));
          return outcome;
        })
        .then((outcome) =>
          recordAudit(db, {
            user,
            action: 'export.timeline',
            route: ROUTE,
            detail: { filter, outcome, subjects: tally.subjects, rows: tally.rows, ms: Date.now() - started, shift, small_cells: tally.cells ?? null },
          }),
        )
        .catch((err: unknown) => req.log.error({ err: { message: (err as Error)?.message } }, 'export audit row not written'));

      return reply
        .header('content-type', format.contentType)
        .header('content-disposition', `attachment; filename="timeline.${format.extension}"`)
        .header('cache-control', 'no-store')
        .send(out);
    },
  );
};
