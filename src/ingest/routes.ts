import type { FastifyInstance, FastifyRequest } from 'fastify';
import type {} from '@fastify/websocket';
import type {} from '@fastify/swagger';
import { ServiceError } from '../errors.ts';
import type { GatewayAuthenticator, GatewayIdentity } from '../auth/gateways.ts';
import type { Metrics } from '../observability/metrics.ts';
import { parseReadingsBody, type Limits } from './protocol.ts';
import type { IngestService } from './service.ts';
import { GatewaySession } from './session.ts';
import { releaseUpgradeRequest } from '../http/websocket.ts';
import type { GatewayHub } from './hub.ts';
import { ackSchema, errorSchema, readingsBodySchema } from './schemas.ts';

declare module 'fastify' {
  interface FastifyRequest {
    gateway?: GatewayIdentity;
  }
}

export interface IngestRouteDeps {
  readonly service: IngestService;
  readonly auth: GatewayAuthenticator;
  readonly hub: GatewayHub;
  readonly metrics: Metrics;
  readonly limits: Limits;
  readonly requireGateway: (req: FastifyRequest) => Promise<void>;
  /** `retryAfterMs` advised when an upgrade is turned away. */
  readonly retryAfterMs: number;
}

/** An onRequest hook: runs before the body is read, so an unauthorised sender costs no parsing. */
export function gatewayAuthHook(auth: GatewayAuthenticator, retryAfterMs: number) {
  return async (req: FastifyRequest) => {
    let gw: GatewayIdentity | null;
    try {
      gw = await auth.authenticate(req.headers.authorization);
    } catch {
      throw new ServiceError('unavailable', 'storage unavailable', retryAfterMs);
    }
    if (!gw) throw new ServiceError('unauthorized');
    req.gateway = gw;
  };
}

export async function ingestRoutes(app: FastifyInstance, deps: IngestRouteDeps): Promise<void> {
  const requireGateway = deps.requireGateway;

  // An instance holding as many gateway sockets as it admits turns an upgrade away (503,
  // Retry-After) before the key is looked up: a reconnecting fleet costs it no queries.
  const admit = async () => {
    if (deps.hub.full) throw new ServiceError('unavailable', 'this instance holds as many gateway sockets as it admits; retry later', deps.retryAfterMs);
  };

  app.get('/v1/ingest', { websocket: true, onRequest: [admit, requireGateway], schema: { hide: true } }, (socket, req) => {
    const session = new GatewaySession(socket, req.gateway!, deps.service, deps.limits, deps.metrics, req.log);
    // A gateway's socket stays open for hours: nothing of its upgrade request is kept.
    releaseUpgradeRequest(socket, req, GatewaySession.socketError);
    if (deps.hub.add(session)) session.start();
  });

  app.post(
    '/v1/readings',
    {
      onRequest: requireGateway,
      schema: {
        summary: 'Store a batch of readings',
        description:
          'The same batch as the WebSocket protocol. Answered after commit. Each reading is accepted, ' +
          'a duplicate, or rejected with a reason (and kept in quarantine).',
        tags: ['ingest'],
        security: [{ gatewayKey: [] }],
        body: readingsBodySchema,
        response: { 200: ackSchema, 400: errorSchema, 401: errorSchema, 413: errorSchema, 415: errorSchema, 429: errorSchema, 503: errorSchema },
      },
      // The schema documents the body; the protocol module validates it, so that
      // HTTP and WebSocket reject exactly the same things with the same codes.
      validatorCompiler: () => () => true,
    },
    async (req) => {
      const body = req.body;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new ServiceError('bad_message', 'the body must be a JSON object with a `readings` array');
      }
      const parsed = parseReadingsBody(body as Record<string, unknown>, deps.limits, false);
      if (parsed.type === 'error') throw new ServiceError(parsed.code, parsed.message);
      return deps.service.ingest(req.gateway!, parsed.id || null, parsed.readings, 'http');
    },
  );
}
