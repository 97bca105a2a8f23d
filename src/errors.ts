// The one table of error codes the service speaks. The README's error table mirrors
// it and a test keeps them in step. `status` is the HTTP status where the code
// reaches an HTTP client; over WebSocket the same code travels in a message.

export const ERRORS = {
  // Message level (the whole batch or request).
  bad_json: { status: 400, message: 'the body or frame is not valid JSON' },
  bad_message: { status: 400, message: 'the message does not have the expected shape' },
  unknown_type: { status: 400, message: 'unknown message type' },
  unauthorized: { status: 401, message: 'missing, unknown or revoked gateway key' },
  not_signed_in: { status: 401, message: 'not signed in, or the session has ended' },
  bad_credentials: { status: 401, message: 'wrong email or password, or the account is disabled' },
  forbidden: { status: 403, message: 'not allowed for this caller' },
  cross_origin: { status: 403, message: "a state-changing request must come from the service's own origin (Origin header)" },
  not_found: { status: 404, message: 'no such resource' },
  conflict: { status: 409, message: 'the request conflicts with what is stored (a duplicate, or a link that must be undone first)' },
  invalid_transition: { status: 409, message: 'the alert is not in a status that allows this action' },
  payload_too_large: { status: 413, message: 'the body is larger than the limit' },
  unsupported_media_type: { status: 415, message: 'unsupported Content-Type' },
  rate_limited: { status: 429, message: 'too many readings; slow down' },
  too_many_sign_ins: { status: 429, message: 'too many failed sign-ins; retry after Retry-After seconds' },
  sign_in_busy: { status: 503, message: 'too many sign-ins in progress; retry after Retry-After seconds' },
  export_key_missing: { status: 503, message: 'no export key is configured (EXPORT_KEY); exports are refused rather than made with raw ids' },
  unavailable: { status: 503, message: 'storage unavailable or service overloaded; nothing was stored, resend later' },
  internal: { status: 500, message: 'internal error' },
  // Reading level (one reading of a batch, reported in `rejected`).
  bad_reading: { status: 400, message: 'a field is missing or has the wrong type' },
  unknown_metric: { status: 400, message: 'the metric is not in the vocabulary' },
  unit_mismatch: { status: 400, message: "the unit differs from the metric's unit" },
  out_of_range: { status: 400, message: "the value is outside the metric's valid range" },
  future_timestamp: { status: 400, message: 'the event time is too far in the future' },
  seq_conflict: { status: 400, message: 'this (device, seq) is stored with different content' },
  forbidden_device: { status: 400, message: "the device is not registered to this gateway's site" },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** An error that maps to one row of ERRORS; the message may be more specific. */
export class ServiceError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly retryAfterMs?: number,
  ) {
    super(message ?? ERRORS[code].message);
    this.name = 'ServiceError';
    this.statusCode = ERRORS[code].status;
  }
}
