import type { FastifyInstance } from 'fastify';
import type {} from '@fastify/swagger';
import { Type } from '@sinclair/typebox';
import { ping, type Db } from '../store/db.ts';
import { pendingMigrations } from '../store/migrate.ts';
import type { Metrics } from '../observability/metrics.ts';

const TLS_FIELD = Type.Boolean({ description: 'whether the listeners serve TLS (false: plain HTTP, WebSocket and MLLP)' });

// Operational endpoints: no patient data, no credentials (restrict them at the network edge).
export async function healthRoutes(app: FastifyInstance, deps: { db: Db; metrics: Metrics; tls: boolean }): Promise<void> {
  app.get('/health/live', {
    schema: { tags: ['operations'], summary: 'The process is up', response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
  }, async () => ({ status: 'ok' }));

  app.get('/health/ready', {
    schema: {
      tags: ['operations'],
      summary: 'The database is reachable and the schema current',
      response: {
        200: Type.Object({ status: Type.Literal('ready'), tls: TLS_FIELD }),
        503: Type.Object({ status: Type.Literal('unavailable'), problems: Type.Array(Type.String(), { description: 'database unreachable, or the migrations pending' }), tls: TLS_FIELD }),
      },
    },
  }, async (_req, reply) => {
    const problems: string[] = [];
    try {
      await ping(deps.db);
      const pending = await pendingMigrations(deps.db);
      if (pending.length > 0) problems.push(`migrations pending: ${pending.join(', ')}`);
    } catch {
      problems.push('database unreachable');
    }
    if (problems.length > 0) return reply.code(503).send({ status: 'unavailable', problems, tls: deps.tls });
    return { status: 'ready', tls: deps.tls };
  });

  app.get('/metrics', {
    schema: { tags: ['operations'], summary: 'Prometheus metrics', produces: ['text/plain'], response: { 200: Type.String({ description: 'Prometheus text exposition format' }) } },
  }, async (_req, reply) => {
    reply.header('Content-Type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
}
