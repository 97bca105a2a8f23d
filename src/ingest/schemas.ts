// JSON schemas of the ingest HTTP route, for the OpenAPI documentation at /docs.

export const errorSchema = {
  type: 'object',
  required: ['code', 'message'],
  properties: {
    code: { type: 'string', description: 'a code from the error table (README)' },
    message: { type: 'string' },
  },
} as const;

export const readingSchema = {
  type: 'object',
  required: ['device', 'seq', 'at', 'metric', 'value'],
  properties: {
    device: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,64}$' },
    seq: { type: 'integer', minimum: 0, maximum: 9007199254740991, description: 'increasing per device; (device, seq) is the identity' },
    at: { type: 'string', format: 'date-time', description: 'RFC 3339 event time with an offset' },
    metric: { type: 'string', description: 'metric name, MDC reference id or numeric MDC code' },
    value: { type: 'number' },
    unit: { type: 'string', description: "optional; must equal the metric's unit" },
  },
} as const;

export const readingsBodySchema = {
  type: 'object',
  required: ['readings'],
  properties: {
    id: { type: 'string', minLength: 1, maxLength: 128 },
    readings: { type: 'array', minItems: 1, maxItems: 5000, items: readingSchema },
  },
} as const;

export const ackSchema = {
  type: 'object',
  required: ['accepted', 'duplicates', 'rejected'],
  properties: {
    accepted: { type: 'integer' },
    duplicates: { type: 'integer' },
    rejected: {
      type: 'array',
      items: {
        type: 'object',
        required: ['index', 'code', 'message'],
        properties: { index: { type: 'integer' }, code: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
} as const;
