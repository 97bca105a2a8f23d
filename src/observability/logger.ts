import type { FastifyRequest } from 'fastify';
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

// Patient and device identifiers, keys and passwords never reach a log line:
// requests are logged by route pattern (no path parameters, no query string) and
// any field with one of these names is censored wherever it appears (top level or one
// level down). `devices` and `patients` are also how counts are named: a whole number
// there is a count and is kept; anything else under those names is censored.
const IDENTIFYING = [
  'password',
  'key',
  'device',
  'serial',
  'patientId',
  'patient',
  'nhsNumber',
  'name',
  'dateOfBirth',
  'email',
  'token',
  'cookie',
];
/** Names that hold a count when their value is a whole number, identifiers otherwise. */
const COUNTABLE = new Set(['devices', 'patients']);

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  ...[...IDENTIFYING, ...COUNTABLE].flatMap((f) => [f, `*.${f}`]),
  'res.headers["set-cookie"]',
];

export const CENSOR = '[redacted]';

/** What a redacted path is logged as: a count under a countable name stays, the rest is censored. */
export function censor(value: unknown, path: readonly string[]): unknown {
  const field = path[path.length - 1];
  if (field !== undefined && COUNTABLE.has(field) && Number.isSafeInteger(value) && (value as number) >= 0) return value;
  return CENSOR;
}

// PostgreSQL errors carry the offending row's values in these (`Key (serial)=(…) already
// exists`, the PL/pgSQL context, the query text); the message, code, constraint, table and
// column say what went wrong without them.
const ERROR_FIELDS_DROPPED = new Set(['detail', 'where', 'hint', 'internalQuery', 'query', 'parameters', 'values']);

/**
 * `{ err }` as pino's standard serializer writes it (type, message and stack, with causes;
 * every other own field, such as pg's code, severity, constraint), less the fields that
 * repeat data, at every level (causes, aggregated errors). A value that is not an Error
 * (`{ message }`, a string) is kept to its message and code rather than dressed as one.
 */
export function serializeError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) {
    if (err !== null && typeof err === 'object') {
      const { message, code } = err as { message?: unknown; code?: unknown };
      return { message: String(message ?? ''), ...(code !== undefined ? { code } : {}) };
    }
    return { message: String(err) };
  }
  return scrub(pino.stdSerializers.err(err) as unknown as Record<string, unknown>);
}

function scrub(serialized: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(serialized)) {
    // `type` already names the class; pg's own `name` field is only ever "error".
    if (ERROR_FIELDS_DROPPED.has(k) || k === 'raw' || k === 'name') continue;
    if (k === 'aggregateErrors' && Array.isArray(v)) out[k] = v.map((e) => scrub(e as Record<string, unknown>));
    else if (v !== null && typeof v === 'object' && typeof (v as { message?: unknown }).message === 'string' && 'stack' in v) out[k] = scrub(v as Record<string, unknown>);
    else out[k] = v;
  }
  return out;
}

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor },
    serializers: {
      err: serializeError,
      req: (req: FastifyRequest) => ({
        method: req.method,
        route: req.routeOptions?.url ?? 'unmatched',
        reqId: req.id,
      }),
    },
  };
}

export type LogFormat = 'json' | 'pretty';

/**
 * LOG_FORMAT when set; otherwise human-readable lines for a person at a terminal and
 * one JSON object a line for everything else (files, pipes, log collectors).
 */
export function chooseLogFormat(requested: LogFormat | null, stdoutIsTTY: boolean): LogFormat {
  return requested ?? (stdoutIsTTY ? 'pretty' : 'json');
}

/** pino-pretty's settings: local time of day, no pid/hostname, one line a record. */
export function prettyOptions(colorize: boolean): Record<string, unknown> {
  return {
    destination: 1,
    // Written as they come: the last lines before process.exit (`stopped`) are not lost.
    sync: true,
    colorize,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    singleLine: true,
  };
}

let prettyStream: DestinationStream | null = null;

/**
 * Where log lines go: undefined for JSON (pino's own stdout destination); for pretty,
 * pino-pretty as a transport (a worker thread, off the event loop), one per process,
 * shared by every logger so their lines stay in order.
 */
export function logDestination(format: LogFormat): DestinationStream | undefined {
  if (format === 'json') return undefined;
  prettyStream ??= pino.transport({ target: 'pino-pretty', options: prettyOptions(process.stdout.isTTY === true) }) as DestinationStream;
  return prettyStream;
}

/** Where this process's log lines go for LOG_FORMAT (null: decided by whether stdout is a terminal). */
export function destinationFor(requested: LogFormat | null): DestinationStream | undefined {
  return logDestination(chooseLogFormat(requested, process.stdout.isTTY === true));
}

/**
 * The process's logger, in the configured format: its few lines (start, shutdown steps,
 * `stopped` just before process.exit) are written synchronously in JSON too. pino's default
 * stdout is asynchronous, and at exit it writes what is still buffered at once, ahead of a
 * line whose write is still under way: `stopped` was once logged before the shutdown step
 * written a moment earlier. The requests' and the engine's lines go through the app's logger.
 */
export function createLogger(level: string, format: LogFormat | null): Logger {
  const chosen = chooseLogFormat(format, process.stdout.isTTY === true);
  return pino(loggerOptions(level), chosen === 'json' ? pino.destination({ dest: 1, sync: true }) : logDestination(chosen));
}
