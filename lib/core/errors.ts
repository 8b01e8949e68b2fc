/**
 * The one error vocabulary: a closed set of codes, one code→status table, one body shape.
 */
export const ERROR_STATUS = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  ip_not_allowed: 403,
  not_found: 404,
  conflict: 409,
  key_limit_reached: 409,
  cannot_modify_self: 409,
  payload_too_large: 413,
  rate_limited: 429,
  credits_exhausted: 429,
  internal_error: 500,
  service_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** The message of an `ip_not_allowed` refusal: the key's network allowlist does not hold the source address. */
export const IP_NOT_ALLOWED_MESSAGE = 'This API key may not be used from this network address.';

/** The message of a `credits_exhausted` refusal: the key's balance is below the call's cost. */
export const CREDITS_EXHAUSTED_MESSAGE =
  "This API key's credits are used up. Top them up, or wait for the next refill.";

/** The message every credential failure gets, whatever the reason. */
export const UNAUTHORIZED_MESSAGE = 'A valid API key or admin key is required.';

/** The message of a `rate_limited` refusal, wherever it is answered (authorizer Deny, latchkey/verify). */
export function rateLimitedMessage(retryAfterSeconds: number): string {
  return `Rate limit exceeded for this key. Retry after ${retryAfterSeconds} seconds.`;
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; request_id: string };
}

/** An error that maps to an HTTP response with a known code; its message is safe to show. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, field?: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.field = field;
  }
}

/** A field of a request failed validation. */
export class ValidationError extends ApiError {
  constructor(field: string, message: string) {
    super('invalid_request', message, field);
    this.name = 'ValidationError';
  }
}

/** A dependency (DynamoDB, Secrets Manager) failed: the request is refused, never allowed. */
export class DependencyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DependencyError';
  }
}

/**
 * DynamoDB refused a request for throughput (`ProvisionedThroughputExceededException`, `ThrottlingException`,
 * a transaction cancelled for throttling) after the SDK's retries: a dependency failure all the same, which
 * the hot-key path also reads as "this key's item is hot".
 */
export class ThrottledError extends DependencyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ThrottledError';
  }
}

export function errorBody(code: ErrorCode, message: string, requestId: string): ErrorBody {
  return { error: { code, message, request_id: requestId } };
}

/** The 404 for a key id the caller may not see: unknown, or another organization's (never a 403). */
export function keyNotFound(id: string): ApiError {
  return new ApiError('not_found', `No key with id ${id}.`);
}
