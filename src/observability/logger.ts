import type { FastifyRequest } from 'fastify';
import type { LoggerOptions } from 'pino';

// Patient and device identifiers, keys and passwords never reach a log line:
// requests are logged by route pattern (no path parameters, no query string) and
// any field with one of these names is censored wherever it appears.
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'password',
  'key',
  'device',
  'devices',
  'serial',
  'patientId',
  'patient',
  'nhsNumber',
  'name',
  'dateOfBirth',
  'email',
  'token',
  'cookie',
  '*.password',
  '*.key',
  '*.device',
  '*.devices',
  '*.serial',
  '*.patientId',
  '*.patient',
  '*.nhsNumber',
  '*.name',
  '*.dateOfBirth',
  '*.email',
  '*.token',
  '*.cookie',
  'res.headers["set-cookie"]',
];

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      req: (req: FastifyRequest) => ({
        method: req.method,
        route: req.routeOptions?.url ?? 'unmatched',
        reqId: req.id,
      }),
    },
  };
}
