import type { FastifyInstance, FastifyRequest } from 'fastify';
import type {} from '@fastify/swagger';
import type { IdcoBounds, IdcoReply } from './idco-handler.ts';
import type { IngestRouteDeps } from './routes.ts';
import { handleIdco } from './idco-handler.ts';
import { IdentityMismatchLimiter } from './idco/identity-guard.ts';
import { errorSchema } from './schemas.ts';

const HL7_TYPES = ['application/hl7-v2', 'text/plain'];

/** POST /v1/idco: one HL7 v2 message in, its HL7 ACK out (authenticated like a gateway). */
export async function idcoRoutes(
  app: FastifyInstance,
  deps: Pick<IngestRouteDeps, 'service'> & { requireGateway: (req: FastifyRequest) => Promise<void>; maxBytes: number; bounds: IdcoBounds },
): Promise<void> {
  // Scoped to this plugin: this route takes HL7 text only (anything else is 415),
  // as bytes, so the parser sees the sender's own encoding and separators.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(HL7_TYPES, { parseAs: 'buffer', bodyLimit: deps.maxBytes }, (_req, body, done) => done(null, body));
  const limiter = new IdentityMismatchLimiter();

  app.post(
    '/v1/idco',
    {
      onRequest: deps.requireGateway,
      bodyLimit: deps.maxBytes,
      schema: {
        summary: 'Store one HL7 v2 IDCO message (IHE PCD-09 ORU^R01)',
        description: 'Body: the message, segments separated by CR, LF or CRLF. Reply: an HL7 ACK (MSA|AA after commit, AE for a message that cannot be used, AR when storage is unavailable or the sender must wait: too fast, or too many messages naming another patient than the enrolled one).',
        tags: ['ingest'],
        security: [{ gatewayKey: [] }],
        consumes: HL7_TYPES,
        produces: ['application/hl7-v2'],
        response: {
          200: { type: 'string', description: 'HL7 ACK, MSA|AA' },
          400: { type: 'string', description: 'HL7 ACK, MSA|AE with an ERR segment' },
          401: errorSchema,
          413: errorSchema,
          415: errorSchema,
          429: { type: 'string', description: 'HL7 ACK, MSA|AR; see Retry-After' },
          503: { type: 'string', description: 'HL7 ACK, MSA|AR; see Retry-After' },
        },
      },
    },
    async (req, reply) => {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const gw = req.gateway!;
      const result: IdcoReply = await handleIdco(body, gw, deps.service, { sender: { transport: 'http', gatewayId: gw.gatewayId }, limiter, log: req.log, bounds: deps.bounds });
      if (result.retryAfterMs !== undefined) reply.header('Retry-After', String(Math.ceil(result.retryAfterMs / 1000)));
      return reply.code(result.status as 200).type('application/hl7-v2').send(result.ack);
    },
  );
}
