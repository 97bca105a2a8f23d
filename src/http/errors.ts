import type { FastifyError, FastifyInstance } from 'fastify';
import { ERRORS, ServiceError, type ErrorCode } from '../errors.ts';
import { validationMessage } from './schemas.ts';

// Fastify's own errors, mapped onto our table so every error body is {code, message}.
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_message',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'bad_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'bad_json',
  FST_ERR_VALIDATION: 'bad_message',
};

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof ServiceError) {
      if (err.retryAfterMs !== undefined) reply.header('Retry-After', String(Math.ceil(err.retryAfterMs / 1000)));
      return reply.code(err.statusCode).send({ code: err.code, message: err.message });
    }
    let code = err.code ? FASTIFY_CODES[err.code] : undefined;
    if (!code && err instanceof SyntaxError && err.statusCode === 400) code = 'bad_json';
    if (!code && err.validation) code = 'bad_message';
    if (code) {
      let message = code === 'bad_json' ? ERRORS.bad_json.message : code === 'bad_message' ? err.message : ERRORS[code].message;
      // A schema's refusal, worded like the routes' own checks ("unknown field: x").
      if (err.validation) {
        const part = err.validationContext;
        const schema = part ? (req.routeOptions.schema as Record<string, unknown> | undefined)?.[part] : undefined;
        message = validationMessage(part, err.validation, schema);
      }
      return reply.code(ERRORS[code].status).send({ code, message });
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.code(err.statusCode).send({ code: 'bad_message', message: err.message });
    }
    req.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ code: 'internal', message: ERRORS.internal.message });
  });
  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ code: 'not_found', message: ERRORS.not_found.message }));
}
