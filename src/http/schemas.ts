// Schemas shared by the JSON routes. Each route's TypeBox schema is at once its TypeScript
// types (through the TypeBox type provider), its validation (Fastify's Ajv, configured in
// app.ts: no coercion, no silent removal of unknown fields) and its OpenAPI description.
//
// Query strings are typed as strings: with coerceTypes off, "limit=10" stays "10", and the
// routes turn it into a number themselves, with a message naming the accepted form.
import { Type, type TSchema } from '@sinclair/typebox';
import { ALERT_KINDS } from '../domain/alert-kinds.ts';
import type { AlertKind } from '../domain/types.ts';
import { OUTCOMES, type Outcome } from '../domain/outcomes.ts';
import { RESOLUTIONS, type Resolution } from '../domain/alerts.ts';
import { ERRORS, type ErrorCode } from '../errors.ts';

/** `{code, message}` with the codes a route may answer at one status, from the error table. */
function errorBody(codes: readonly ErrorCode[]) {
  return Type.Object(
    {
      code: Type.Unsafe<ErrorCode>({ type: 'string', enum: [...codes], description: 'a code from the error table (README, "Error codes")' }),
      message: Type.String({ description: 'for people; may be more specific than the table' }),
    },
    { description: codes.map((c) => `\`${c}\`: ${ERRORS[c].message}`).join('; ') },
  );
}

/** Error responses, grouped by status: `{ 400: {code: bad_json | bad_message, ...}, 401: ... }`. */
export function errorResponses(...codes: ErrorCode[]): Record<number, TSchema> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set(codes)) {
    const status = ERRORS[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries([...byStatus].sort(([a], [b]) => a - b).map(([status, list]) => [status, errorBody(list)]));
}

/** A route behind requireUser: no session, the wrong role, and any unhandled failure. */
export const SIGNED_IN: readonly ErrorCode[] = ['not_signed_in', 'forbidden', 'internal'];
/** A state-changing route behind requireUser: also refused from another origin. */
export const SIGNED_IN_CHANGE: readonly ErrorCode[] = [...SIGNED_IN, 'cross_origin'];
/** A route that reads a JSON body. */
export const JSON_BODY: readonly ErrorCode[] = ['bad_json', 'bad_message', 'payload_too_large', 'unsupported_media_type'];

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const DateTime = (description: string) => Type.String({ format: 'date-time', description });

export const AlertIdParam = Type.String({ description: 'an alert id, `a-000123`; an id that is not one answers 404 like an unknown alert', examples: ['a-000123'] });
export const PatientIdParam = Type.String({ description: 'a patient id, `p-17`; an id that is not one answers 404 like an unknown patient', examples: ['p-17'] });

/** The alert object of the alerts contract, version 1 (src/alerts/present.ts). */
export const AlertSchema = Type.Object({
  id: Type.String({ description: 'a-000123' }),
  patientId: Nullable(Type.String({ description: 'p-17, or null while the device is not enrolled' })),
  device: Type.String({ description: 'device serial' }),
  site: Type.String({ description: 'site code' }),
  kind: Type.Unsafe<AlertKind>({ type: 'string', enum: [...ALERT_KINDS], description: 'alert kind (alerts contract v1)' }),
  priority: Type.Union([Type.Literal('low'), Type.Literal('medium'), Type.Literal('high')]),
  status: Type.Union([Type.Literal('open'), Type.Literal('acknowledged'), Type.Literal('resolved')]),
  openedAt: DateTime('when the alert was opened'),
  lastSeenAt: DateTime('the latest reading that kept it open'),
  raisedAt: DateTime('when the alert was last raised'),
  occurrences: Type.Integer(),
  trigger: Type.Object({ seq: Type.Integer(), metric: Type.String(), value: Type.Number(), at: Type.String() }),
  score: Type.Number(),
  summary: Type.String(),
  // Open-ended on purpose: each detector keeps its own figures (numbers or strings).
  evidence: Type.Record(Type.String(), Type.Unknown(), { description: 'the detector’s figures, numbers or strings' }),
  assignee: Nullable(Type.String({ description: 'email of the assigned clinician' })),
  snoozedUntil: Nullable(DateTime('no escalation before this time')),
  escalationLevel: Type.Integer(),
  // An addition to the contract's object: what the resolved alert turned out to be.
  resolution: Nullable(Type.Unsafe<Resolution>({ type: 'string', enum: [...RESOLUTIONS], description: 'how it was resolved; null until resolved' })),
  outcome: Nullable(Type.Unsafe<Outcome>({ type: 'string', enum: [...OUTCOMES], description: 'what the resolved alert turned out to be; null until recorded' })),
});

/**
 * The message of a validation failure, naming the field as the hand checks do
 * ("unknown field: x", "email is required", "resolution must be one of ...").
 * Ajv stops at the first error (allErrors off), so this names one problem.
 */
export function validationMessage(
  part: string | undefined,
  errors: ReadonlyArray<{ keyword: string; instancePath: string; schemaPath: string; params: Record<string, unknown>; message?: string }>,
  schema?: unknown,
): string {
  // Of an anyOf (a nullable field), its own error says most once its branches' types are known.
  const first = errors.find((e) => e.keyword === 'anyOf') ?? errors[0];
  if (!first) return ERRORS.bad_message.message;
  const query = part === 'querystring';
  const field = first.instancePath.split('/').slice(1).map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~')).join('.');
  const name = (child?: unknown) => [field, typeof child === 'string' ? child : ''].filter(Boolean).join('.').slice(0, 60);
  const where = query ? 'query parameter' : part === 'params' ? 'path parameter' : 'field';
  switch (first.keyword) {
    case 'additionalProperties':
      return `unknown ${where}: ${name(first.params.additionalProperty)}`;
    case 'required':
      return `${name(first.params.missingProperty)} is required`;
    case 'type':
      if (field === '' && part === 'body') return 'the body must be a JSON object';
      // A query string holds strings and, for a repeated name, arrays of them.
      if (query) return `${name()} must be given once`;
      return `${name()} must be ${String(first.params.type).replace(',', ' or ')}`;
    case 'enum':
      return `${name()} must be one of ${(first.params.allowedValues as unknown[]).join(', ')}`;
    case 'anyOf': {
      const types = errors.filter((e) => e.keyword === 'type' && e.instancePath === first.instancePath).map((e) => String(e.params.type));
      const consts = errors.filter((e) => e.keyword === 'const' && e.instancePath === first.instancePath).map((e) => String(e.params.allowedValue));
      if (consts.length > 0) return `${name()} must be one of ${consts.join(', ')}`;
      return types.length > 0 ? `${name()} must be ${types.join(' or ')}` : `${name()} does not have the expected form`;
    }
    case 'pattern':
    case 'format': {
      // Its schema's description says the accepted form: "limit must be a whole number ...".
      const description = describedAt(schema, first.schemaPath);
      if (description) return `${name()} must be ${description}`;
      return `${name()} ${first.message ?? 'is not valid'}`;
    }
    default:
      return `${name() || part || 'the body'} ${first.message ?? 'is not valid'}`;
  }
}

/** The description of the schema that holds the keyword at `schemaPath` (#/properties/limit/pattern). */
function describedAt(schema: unknown, schemaPath: string): string | undefined {
  let node = schema;
  for (const step of schemaPath.replace(/^#\//, '').split('/').slice(0, -1)) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[step.replaceAll('~1', '/').replaceAll('~0', '~')];
  }
  const description = typeof node === 'object' && node !== null ? (node as { description?: unknown }).description : undefined;
  return typeof description === 'string' ? description : undefined;
}
