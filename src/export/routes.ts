// GET /v1/exports/timeline: the de-identified event timeline, streamed, for analysts.
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import { recordAudit } from '../auth/audit.ts';
import { requireUser, signedInUser } from '../auth/guard.ts';
import type { SessionStore } from '../auth/sessions.ts';
import { ServiceError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { describeRequest, parseExportRequest, type RawExportQuery } from './filter.ts';
import { FORMATTERS } from './format.ts';
import type { ShiftMode } from './deidentify.ts';
import { runExport, type ExportTally } from './run.ts';
import { DEFAULT_MIN_CELL } from './small-cells.ts';
import { exportSites } from './scope.ts';

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

export const exportRoutes: FastifyPluginAsync<ExportRoutesOptions> = async (app, { db, sessions, exportKey, minCell = DEFAULT_MIN_CELL, shift = 'days' }) => {
  app.get(
    ROUTE,
    {
      preHandler: requireUser(sessions, 'analyst'),
      schema: {
        summary: 'De-identified event timeline (analysts)',
        description:
          'Query: from, to (RFC 3339, on the shifted clock of the file), site and kind (comma-separated), ' +
          'format=ndjson|csv, include=readings. Streams one row per event; see docs/export.md.',
      },
    },
    async (req, reply) => {
      const user = signedInUser(req);
      if (exportKey === null) throw new ServiceError('export_key_missing');
      const request = parseExportRequest(req.query as RawExportQuery);
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
